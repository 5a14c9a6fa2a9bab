// The load driver's HTTP client: one undici Pool to the Ingress with keep-alive (like a browser
// or a service mesh client), every request bounded in time, and failures turned into data
// (status 0 + an error code) instead of exceptions, because a failed attempt is a result the
// history must record, not a crash.
import { Pool } from 'undici';
import type { HttpRequest, HttpResponse } from '@anypod/scenarios/requests';

export interface HttpClientOptions {
  /** http://127.0.0.1:<port>; nothing but loopback is ever contacted */
  baseUrl: string;
  /** bound on one attempt, connect to last body byte (a request may ask for a longer one) */
  timeoutMs?: number;
  /** keep-alive connections to the Ingress */
  connections?: number;
}

export interface HttpClient {
  send(request: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The driver only ever talks to this machine (environment.md: loopback only). */
export function assertLoopback(baseUrl: string): URL {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) {
    throw new Error(`refusing to send load to ${baseUrl}: only http://127.0.0.1 (loopback) is allowed`);
  }
  return url;
}

// Errors raised before a single byte left: the request certainly was not applied anywhere.
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const url = assertLoopback(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const pool = new Pool(url.origin, {
    connections: options.connections ?? 64,
    connectTimeout: Math.min(timeoutMs, 2_000),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    // Below nginx's keepalive_timeout (75 s), so the client, not the server, retires idle sockets.
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 30_000,
  });

  async function send(request: HttpRequest): Promise<HttpResponse> {
    const bound = Math.max(timeoutMs, request.timeoutMs ?? 0);
    const signal = AbortSignal.timeout(bound);
    try {
      const res = await pool.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body ?? null,
        signal,
        headersTimeout: bound,
        bodyTimeout: bound,
      });
      const body = await res.body.text();
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status: res.statusCode, headers, body };
    } catch (error) {
      const code = errorCode(error);
      return { status: 0, headers: {}, body: '', error: code, ...(NOT_SENT.has(code) ? { notSent: true } : {}) };
    }
  }

  return { send, close: () => pool.close() };
}

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; cause?: unknown; message?: unknown };
  if (typeof e?.code === 'string') return e.code;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'TIMEOUT';
  if (e?.cause && e.cause !== error) return errorCode(e.cause);
  return typeof e?.name === 'string' ? e.name : 'UNKNOWN';
}
