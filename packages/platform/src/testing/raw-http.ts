// HTTP/1.1 spoken by hand over TCP, for tests that act as a hostile client: bytes an HTTP client
// library would refuse to send (oversized headers, requests trickled a few bytes at a time,
// connections that never send anything) and a view of exactly what the server answered and
// when it closed the connection.
import { connect, type Socket } from 'node:net';

export interface RawConnection {
  readonly socket: Socket;
  /** everything the server has sent so far */
  received(): string;
  /** resolves when the connection is closed (by either side, or failed): when, and the error if any */
  readonly closed: Promise<{ atMs: number; error?: string }>;
  /** whether `closed` has resolved */
  isClosed(): boolean;
  /** writes unless the connection is closed; false when it was */
  write(data: string | Buffer): Promise<boolean>;
}

/**
 * Opens a TCP connection to 127.0.0.1:`port` (rejects if it cannot be made within `timeoutMs`).
 * `allowHalfOpen`: keep sending after the server has closed its side (as nginx does with a
 * request body); by default the connection closes when the server's does, as most clients do.
 */
export function openRaw(port: number, timeoutMs = 10_000, allowHalfOpen = false): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen });
    const chunks: Buffer[] = [];
    let done = false;
    let error: string | undefined;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // Writes after the server closed end in EPIPE/ECONNRESET: recorded, never thrown.
    socket.on('error', (e) => {
      error ??= (e as NodeJS.ErrnoException).code ?? e.message;
    });
    const closed = new Promise<{ atMs: number; error?: string }>((onClosed) =>
      socket.once('close', () => {
        done = true;
        onClosed({ atMs: Date.now(), ...(error ? { error } : {}) });
      }),
    );
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection to port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({
        socket,
        received: () => Buffer.concat(chunks).toString('latin1'),
        closed,
        isClosed: () => done,
        write: (data) =>
          new Promise((written) => {
            if (done || socket.destroyed || !socket.writable) return written(false);
            socket.write(data, (e) => written(!e));
          }),
      });
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error(`connection to port ${port} closed before it was established${error ? `: ${error}` : ''}`));
    });
  });
}

export interface RawResponse {
  status: number;
  /** lower-cased names */
  headers: Record<string, string>;
  body: string;
}

/** The first complete response in `text` (a Content-Length body), or undefined if there is none yet. */
export function parseResponse(text: string): RawResponse | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = text.slice(end + 4, end + 4 + length);
  return body.length === length ? { status, headers, body } : undefined;
}

/**
 * Writes `parts` one by one, `gapMs` apart, until all are written or the server closes the
 * connection; then waits for the close (at most `closeWithinMs` more). What the server answered
 * and when it closed, relative to the first byte.
 */
export async function trickle(conn: RawConnection, parts: Array<string | Buffer>, gapMs: number, closeWithinMs: number): Promise<{ closedAfterMs: number | undefined; response: RawResponse | undefined; written: number }> {
  const started = Date.now();
  let written = 0;
  for (const part of parts) {
    if (!(await conn.write(part))) break;
    written++;
    await Promise.race([conn.closed, new Promise((r) => setTimeout(r, gapMs))]);
    if (conn.isClosed()) break;
  }
  const closed = await Promise.race([conn.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), closeWithinMs))]);
  if (!closed) conn.socket.destroy();
  return { closedAfterMs: closed ? closed.atMs - started : undefined, response: parseResponse(conn.received()), written };
}

/** The first response on `conn` once it is complete; undefined if the connection closes or `timeoutMs` passes first. */
export async function responseOf(conn: RawConnection, timeoutMs: number): Promise<RawResponse | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = parseResponse(conn.received());
    if (response || conn.isClosed() || Date.now() >= deadline) return response;
    await new Promise<void>((wake) => {
      const timer = setTimeout(done, deadline - Date.now());
      function done() {
        clearTimeout(timer);
        conn.socket.off('data', done);
        wake();
      }
      conn.socket.once('data', done);
      void conn.closed.then(done);
    });
  }
}
