// The server limits (src/server-limits.ts) on a real listening Fastify server built from the
// services' own serverOptions: each limit is on Node's http server, and each is answered as a
// user would see it — 413/431/400/408 as problem+json, excess connections closed. The timeouts
// are also exercised at their real values by the local-cluster abuse test; here they are
// shortened so the mechanism (the check interval, the problem+json answer) is seen in a second.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import problem from '../src/problem.ts';
import { SERVER_LIMITS, serverLimitOptions, type ServerLimits } from '../src/server-limits.ts';
import { serverOptions } from '../src/server-options.ts';
import { openRaw, parseResponse, trickle, type RawConnection } from '../src/testing/raw-http.ts';

const apps: FastifyInstance[] = [];
const conns: RawConnection[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) c.socket.destroy();
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

const base = () => serverOptions({ logLevel: 'silent', service: 'limits', podName: 'limits-test' });

/** A listening app with the problem+json errors every service has, a GET and a JSON POST. */
async function listening(options: FastifyServerOptions = base()): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify(options);
  apps.push(app);
  await app.register(problem);
  app.get('/ok', async () => ({ ok: true }));
  app.post('/echo', async (request) => ({ bytes: JSON.stringify(request.body).length }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return { app, port: address.port };
}

async function raw(port: number, allowHalfOpen = false): Promise<RawConnection> {
  const conn = await openRaw(port, 10_000, allowHalfOpen);
  conns.push(conn);
  return conn;
}

/** Sends `text` and waits for the server to answer and close (or `ms`). */
async function exchange(port: number, text: string | Buffer, ms = 5_000) {
  const conn = await raw(port);
  return trickle(conn, [text], 0, ms);
}

function expectProblem(response: ReturnType<typeof parseResponse>, status: number) {
  expect(response?.status).toBe(status);
  expect(response?.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(response?.body ?? '{}')).toMatchObject({ type: 'about:blank', status });
}

/** A JSON body of exactly `bytes` bytes. */
const jsonOf = (bytes: number) => `{"p":"${'x'.repeat(bytes - 8)}"}`;

describe('server limits on Node’s http server (serverOptions)', () => {
  it('are the ones server-limits.ts states, on the server every service listens with', async () => {
    const { app } = await listening();
    const server = app.server;
    expect({
      maxHeaderBytes: (server as typeof server & { maxHeaderSize: number }).maxHeaderSize,
      headersTimeoutMs: server.headersTimeout,
      requestTimeoutMs: server.requestTimeout,
      timeoutCheckIntervalMs: (server as typeof server & { connectionsCheckingInterval: number }).connectionsCheckingInterval,
      keepAliveTimeoutMs: server.keepAliveTimeout,
      maxConnections: server.maxConnections,
      lingerMs: SERVER_LIMITS.lingerMs,
    }).toEqual(SERVER_LIMITS);
    // Sanity of the numbers against each other and the Ingress (tools/cluster/nginx-config.ts: upstream keepalive_timeout 60 s).
    expect(SERVER_LIMITS.headersTimeoutMs).toBeLessThanOrEqual(SERVER_LIMITS.requestTimeoutMs);
    expect(SERVER_LIMITS.keepAliveTimeoutMs).toBeGreaterThan(60_000);
  });

  it('a body over 64 KiB is 413 problem+json, with or without Content-Length; 64 KiB is accepted', async () => {
    const { port } = await listening();
    const limit = base().bodyLimit as number;
    expect(limit).toBe(64 * 1024);
    const post = (body: string) => `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    expect((await exchange(port, post(jsonOf(limit)))).response?.status).toBe(200);
    expectProblem((await exchange(port, post(jsonOf(limit + 1)))).response, 413);
    // Chunked: the size is only known while reading; the count stops at the limit.
    const big = jsonOf(4 * limit);
    const chunked = `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`;
    expectProblem((await exchange(port, chunked)).response, 413);
  });

  it('after an early 413 the connection lingers: the rest of the body is read, then a clean close, no reset', async () => {
    const { port } = await listening();
    const body = jsonOf(8 * 1024 * 1024);
    const conn = await raw(port, true);
    const piece = 64 * 1024;
    let at = 0;
    // Headers and the first pieces, until the answer is in.
    for (; at < body.length && !parseResponse(conn.received()); at += piece) {
      await conn.write(at === 0 ? `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, piece)}` : body.slice(at, at + piece));
    }
    expectProblem(parseResponse(conn.received()), 413);
    expect(parseResponse(conn.received())?.headers.connection).toBe('close');
    // A client that does not stop at the answer (as nginx, which sends the whole body first).
    let refused = 0;
    for (; at < body.length; at += piece) if (!(await conn.write(body.slice(at, at + piece)))) refused++;
    conn.socket.end();
    const closed = await conn.closed;
    expect(refused).toBe(0);
    expect(closed.error).toBeUndefined();
  });

  it('headers over 16 KiB are 431 problem+json and the connection is closed; just under is served', async () => {
    const { port } = await listening();
    const get = (header: number) => `GET /ok HTTP/1.1\r\nHost: t\r\nX-Pad: ${'a'.repeat(header)}\r\n\r\n`;
    const under = await raw(port);
    await under.write(get(SERVER_LIMITS.maxHeaderBytes - 1024));
    await expect.poll(() => parseResponse(under.received())?.status).toBe(200);
    expect(under.isClosed()).toBe(false);
    const over = await exchange(port, get(SERVER_LIMITS.maxHeaderBytes + 1));
    expectProblem(over.response, 431);
    expect(over.closedAfterMs).toBeDefined();
  });

  it('a malformed request is 400 problem+json and the connection is closed', async () => {
    const { port } = await listening();
    const result = await exchange(port, 'NOT HTTP AT ALL\r\n\r\n');
    expectProblem(result.response, 400);
    expect(result.closedAfterMs).toBeDefined();
  });
});

describe('timeouts and the connection cap (shortened)', { tags: ['timing'] }, () => {
  const short: ServerLimits = { ...SERVER_LIMITS, headersTimeoutMs: 400, requestTimeoutMs: 1_200, timeoutCheckIntervalMs: 100, maxConnections: 20 };
  const shortApp = () => listening({ ...base(), ...serverLimitOptions(short) });

  it('headers trickled past headersTimeout: 408 problem+json, then closed; a silent connection too', async () => {
    const { port } = await shortApp();
    const slow = await raw(port);
    const silent = await raw(port);
    const parts = ['GET /ok HTTP/1.1\r\n', ...Array.from({ length: 40 }, (_, i) => `X-${i}: y\r\n`)];
    const result = await trickle(slow, parts, 50, 2_000);
    expectProblem(result.response, 408);
    // Cut after the timeout, within a check interval or two — not when the client ran out of bytes.
    expect(result.closedAfterMs).toBeGreaterThanOrEqual(short.headersTimeoutMs);
    expect(result.written).toBeLessThan(parts.length);
    const quiet = await trickle(silent, [], 0, 2_000);
    expect(quiet.closedAfterMs).toBeDefined();
  });

  it('an idle keep-alive connection is not cut by the request timeouts: the next request after a long pause is served', async () => {
    const { port } = await shortApp();
    const conn = await raw(port);
    await conn.write('GET /ok HTTP/1.1\r\nHost: t\r\n\r\n');
    await expect.poll(() => parseResponse(conn.received())?.status).toBe(200);
    // Idle for several times both timeouts (nginx keeps idle upstream connections for 60 s).
    await new Promise((r) => setTimeout(r, 3 * short.requestTimeoutMs));
    expect(conn.isClosed()).toBe(false);
    const before = conn.received().length;
    await conn.write('GET /ok HTTP/1.1\r\nHost: t\r\n\r\n');
    await expect.poll(() => parseResponse(conn.received().slice(before))?.status).toBe(200);
  });

  it('a body trickled past requestTimeout: 408 problem+json, then closed', async () => {
    const { port } = await shortApp();
    const body = jsonOf(200);
    const conn = await raw(port);
    const head = `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const result = await trickle(conn, [head, ...body.match(/.{1,5}/g)!], 50, 2_000);
    expectProblem(result.response, 408);
    expect(result.closedAfterMs).toBeGreaterThanOrEqual(short.requestTimeoutMs);
    expect(result.written).toBeLessThan(body.length / 5);
  });

  it('connections over maxConnections are closed unanswered; the held ones are served; capacity returns', async () => {
    const { port } = await shortApp();
    const held = await Promise.all(Array.from({ length: short.maxConnections + 10 }, () => raw(port)));
    // Each asks once on a keep-alive connection and keeps it open.
    await Promise.all(held.map((c) => c.write('GET /ok HTTP/1.1\r\nHost: t\r\n\r\n')));
    await expect.poll(() => held.filter((c) => parseResponse(c.received()) || c.isClosed()).length, { timeout: 5_000 }).toBe(held.length);
    const answered = held.filter((c) => parseResponse(c.received())?.status === 200);
    const refused = held.filter((c) => c.isClosed() && !c.received());
    expect(answered.length).toBe(short.maxConnections);
    expect(refused.length).toBe(10);
    for (const c of held) c.socket.destroy();
    await expect.poll(async () => (await exchange(port, 'GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')).response?.status, { timeout: 5_000 }).toBe(200);
  });
});
