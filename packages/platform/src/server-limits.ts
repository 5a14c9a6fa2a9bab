// What one replica's HTTP server allows a client, hostile or not, so that no client can hold its
// memory, its sockets or its event loop: the numbers, each with the reason for its size, and
// the Fastify options that give them to Node's http server (spread into serverOptions, so every
// service and every test app built from serverOptions gets them).
//
// The request body limit (64 KiB, 413) is Fastify's `bodyLimit` next to the Ajv settings in
// server-options.ts. Fastify's own timeout options (requestTimeout, keepAliveTimeout, …) are
// ignored once a serverFactory is given (docs/Reference/Server.md), so the factory below sets
// every one of them itself, in one place.
import type { FastifyServerOptions } from 'fastify';
import { createServer, STATUS_CODES, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { problemBody } from './problem.ts';

export interface ServerLimits {
  /** all request headers together, bytes; more is answered 431 and the connection closed */
  maxHeaderBytes: number;
  /** from a request's first byte to the end of its headers; then 408 and close */
  headersTimeoutMs: number;
  /** from a request's first byte to the end of its body; then 408 and close */
  requestTimeoutMs: number;
  /** how often Node looks for requests past the two timeouts above */
  timeoutCheckIntervalMs: number;
  /** how long an idle keep-alive connection stays open after its last response */
  keepAliveTimeoutMs: number;
  /** open connections per process; more are accepted and closed at once */
  maxConnections: number;
  /** how long a connection stays open, reading and discarding, after an answer sent before its request body was read */
  lingerMs: number;
}

export const SERVER_LIMITS: ServerLimits = {
  // Node's default, written down so that neither a Node upgrade nor --max-http-header-size in
  // NODE_OPTIONS changes it unseen. The largest legitimate headers are a bearer token (~1 KiB),
  // the refresh cookie and traceparent: 16 KiB is ten times that, and small enough that a
  // connection's header buffer stays negligible next to the 64 KiB body limit.
  maxHeaderBytes: 16 * 1024,
  // Headers are a few hundred bytes and arrive in one packet; the Ingress sends them whole. A
  // client still sending headers after 10 s is a slowloris holding a socket (Node's default, 60 s,
  // lets one client hold a connection slot six times longer per request).
  headersTimeoutMs: 10_000,
  // A whole request is at most 16 KiB of headers and 64 KiB of body: 30 s is 64 KiB at ~2 KiB/s,
  // a very slow mobile link. It matches the Ingress's proxy timeouts (tools/cluster/nginx-config.ts), so
  // nothing legitimate that nginx would wait for is cut here. Fastify's default is 0 (none):
  // its docs ask for a value when the server can be reached without a proxy — a pod can be.
  // Only receiving the request counts: a slow handler is not cut by it.
  requestTimeoutMs: 30_000,
  // The two timeouts above are enforced by a sweep at this interval (Node's default 30 s would let
  // a slowloris socket live up to 40 s instead of 10). A sweep walks only the connections with
  // an unfinished request: once a second is cheap.
  timeoutCheckIntervalMs: 1_000,
  // Fastify's default, kept: above the Ingress's upstream keepalive_timeout (60 s) so nginx, not
  // the replica, closes idle connections (a request sent on a socket the replica is closing at
  // that instant would fail). Idle sockets cost a file descriptor and a few KiB each, and the
  // connection cap below bounds how many there can be.
  keepAliveTimeoutMs: 72_000,
  // Bounds memory whatever the number of clients: a connection's worst case is a full header
  // buffer plus a buffered body, ~80 KiB, so 1024 connections stay under ~90 MiB — inside the
  // headroom the chart's memory limit (384 MiB) leaves above the peak RSS measured under load
  // (254 MiB). A replica behind the Ingress needs a few dozen (nginx keeps 32 idle per worker and
  // opens one per concurrent request), so the cap is far above legitimate use.
  maxConnections: 1024,
  // A 413 goes out as soon as the body is known to be too large, while the client is still
  // sending it. Closing at once with unread bytes makes the kernel send a reset, and a reset can
  // discard the 413 before the client has read it — a browser, or nginx in front, would see a
  // failed connection (measured: 1 answer lost in 20 with 8 MiB bodies). So the connection
  // lingers: the rest is read and discarded for up to 5 s (nginx's own lingering_timeout), long
  // enough to see the answer on any link, short enough not to be a slot worth farming (it still
  // counts against maxConnections). RFC 9112 section 9.6 asks for this lingering close.
  lingerMs: 5_000,
  // Not set: maxRequestsPerSocket (a connection that keeps sending requests is bounded by the
  // rate limits, not by its socket), connectionTimeout (an idle-socket timer would also fire on a
  // request whose handler is slow; the timeouts above bound what a client can hold).
};

/**
 * Node's http server with the limits; what `serverFactory` builds. With a factory Fastify also
 * closes idle keep-alive connections when close() starts (fastify#7044), which graceful.ts does
 * anyway.
 */
export function createLimitedServer(handler: RequestListener<typeof IncomingMessage, typeof ServerResponse>, limits: ServerLimits = SERVER_LIMITS) {
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
    },
    (request, response) => {
      // 'prefinish' comes before Node's own 'finish' listener, which closes the connection.
      response.once('prefinish', () => {
        if (!request.complete) lingerBeforeClose(request, limits.lingerMs);
      });
      handler(request, response);
    },
  );
  server.maxConnections = limits.maxConnections;
  return server;
}

/**
 * The lingering close (see lingerMs): read and discard the rest of the request, and when Node
 * closes the connection after the answer, half-close it instead (the answer and a FIN go out) and
 * destroy it when the client is done or `lingerMs` has passed. Node has no option for it: its
 * destroySoon(), which ends an answered connection, is replaced on this one socket only.
 */
function lingerBeforeClose(request: IncomingMessage, lingerMs: number): void {
  const socket = request.socket;
  request.resume();
  socket.destroySoon = function lingeringDestroySoon() {
    if (socket.writable) socket.end();
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
}

/** The status a connection-level error is answered with, before there is a request to route. */
function clientErrorStatus(error: Error & { code?: string }): 400 | 408 | 431 {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (error.code === 'HPE_HEADER_OVERFLOW') return 431;
  return 400;
}

const clientErrorDetail = { 400: 'The request could not be parsed.', 408: 'The request was not received in time.', 431: 'The request headers are too large.' };

/**
 * Errors Node raises before Fastify sees a request (headers too large, too slow, malformed)
 * answered as problem+json like every other error (problem.ts), then the connection is closed:
 * after such an error the rest of the byte stream cannot be trusted to start a request.
 */
export function problemClientErrorHandler(this: { log: { debug: (obj: object, msg: string) => void } }, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection is gone: nothing to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = clientErrorStatus(error);
  // Debug, not warn: under attack these come by the thousand, and logs must not become the
  // resource the attacker exhausts.
  this.log.debug({ code: error.code, status }, 'client error before routing');
  // Like Node's own handler: no answer of ours once a response has started on this socket (a
  // body still trickling in after an early 413), it would be read as garbage after that one.
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !current?.headersSent) {
    const body = JSON.stringify(problemBody(status, clientErrorDetail[status]));
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/** The Fastify options that apply the limits: spread into serverOptions (server-options.ts). */
export function serverLimitOptions(limits: ServerLimits = SERVER_LIMITS): Pick<FastifyServerOptions, 'serverFactory' | 'clientErrorHandler'> {
  return {
    serverFactory: (handler) => createLimitedServer(handler, limits),
    clientErrorHandler: problemClientErrorHandler,
  };
}
