// A few API calls for tests and tools (users for a test, the demo's walk-through): the same
// request builders (requests.ts) the load driver and the k6 scripts send, sent one at a time
// with fetch to a URL, or through app.inject to a Fastify app a test built in its own process.
// One way to call the API from a test, so a changed route changes one builder.
// Not for load: the load driver keeps its own pooled client (tools/load/http-client.ts) that
// records failures as data; here a socket error throws, because a test cannot go on without
// its answer.
// Node and browsers have fetch, k6 does not: k6 scripts never import this module. fetch is
// typed structurally because this package compiles without Node or DOM types.
import type { HttpRequest, HttpResponse } from './requests.ts';

interface FetchAnswer {
  status: number;
  headers: { forEach: (visit: (value: string, name: string) => void) => void };
  text: () => Promise<string>;
}
type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal: unknown }) => Promise<FetchAnswer>;
interface FetchGlobals {
  fetch: Fetch;
  AbortSignal: { timeout: (ms: number) => unknown };
}

/** What a Fastify app offers for in-process requests (typed structurally: no Fastify here). */
export interface Injectable {
  inject: (request: { method: HttpRequest['method']; url: string; headers: Record<string, string>; payload?: string }) => PromiseLike<{
    statusCode: number;
    headers: Record<string, unknown>;
    body: string;
  }>;
}

/** Where a call goes: a base URL (http://host:port), or an app built in this process. */
export type ApiTarget = string | Injectable;

/** The bound on one call when the request sets none: a test waits, but not forever. */
export const CALL_TIMEOUT_MS = 10_000;

/** Sends `request` to `target`: the answer, header names in lower case. */
export async function send(target: ApiTarget, request: HttpRequest): Promise<HttpResponse> {
  if (typeof target !== 'string') {
    const answer = await target.inject({ method: request.method, url: request.path, headers: request.headers, ...(request.body === undefined ? {} : { payload: request.body }) });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    return { status: answer.statusCode, headers, body: answer.body };
  }
  const baseUrl = target;
  const { fetch, AbortSignal } = globalThis as unknown as FetchGlobals;
  const answer = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    signal: AbortSignal.timeout(request.timeoutMs ?? CALL_TIMEOUT_MS),
  });
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => (headers[name.toLowerCase()] = value));
  return { status: answer.status, headers, body: await answer.text() };
}

/**
 * Sends `request` and expects `status`: the JSON body ({} when there is none). Any other status
 * throws with the path, the status and the body, which is what a failing test needs to say.
 */
export async function expectStatus<T = Record<string, unknown>>(target: ApiTarget, request: HttpRequest, status: number): Promise<{ response: HttpResponse; json: T }> {
  const response = await send(target, request);
  if (response.status !== status) throw new Error(`${request.method} ${request.path} answered ${response.status}, expected ${status}: ${response.body}`);
  return { response, json: (response.body === '' ? {} : JSON.parse(response.body)) as T };
}
