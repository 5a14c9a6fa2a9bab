// What a request's log lines carry, with the services' logger options: the request and its
// outcome, never a credential from a header.
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { serverOptions } from '../src/server-options.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An app with the services' logger options at info, its lines captured. */
async function logged(): Promise<{ app: FastifyInstance; lines: Array<Record<string, unknown>> }> {
  const lines: Array<Record<string, unknown>> = [];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const options = serverOptions({ logLevel: 'info', service: 'logging', podName: 'logging-0' });
  app = Fastify({ ...options, logger: { ...(options.logger as object), stream: capture } });
  app.get('/session', async (_request, reply) => reply.header('set-cookie', 'sid=secret-set-cookie; HttpOnly').send({ ok: true }));
  await app.ready();
  return { app, lines };
}

describe('request log lines', () => {
  it('name the request and its outcome, and carry no Authorization, Cookie or Set-Cookie value', async () => {
    const { app, lines } = await logged();
    const response = await app.inject({ url: '/session?x=1', headers: { authorization: 'Bearer secret-token', cookie: 'sid=secret-cookie' } });
    expect(response.statusCode).toBe(200);
    const incoming = lines.find((l) => l.msg === 'incoming request');
    const completed = lines.find((l) => l.msg === 'request completed');
    expect(incoming).toMatchObject({ service: 'logging', pod: 'logging-0', req: { method: 'GET', url: '/session?x=1' } });
    expect(completed).toMatchObject({ res: { statusCode: 200 } });
    expect(completed?.reqId).toBe(incoming?.reqId);
    expect(JSON.stringify(lines)).not.toMatch(/secret/);
  });
});
