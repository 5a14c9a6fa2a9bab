// The health plugin alone on a bare Fastify instance: what a probe sees as checks added through
// addReadinessCheck pass or fail.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import health, { type ReadinessCheck } from '../src/health.ts';
import redis from '../src/redis.ts';

const passing = async () => 'pong';
const failing = async () => {
  throw new Error('connection refused');
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function withChecks(...checks: ReadinessCheck[]): Promise<FastifyInstance> {
  app = Fastify();
  await app.register(health);
  for (const check of checks) app.addReadinessCheck(check);
  return app;
}

describe('health', () => {
  it('answers /healthz without running any check', async () => {
    const app = await withChecks({ name: 'postgres', critical: true, check: failing });
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('is ready when every check passes', async () => {
    const app = await withChecks({ name: 'postgres', critical: true, check: passing }, { name: 'redis', critical: false, check: passing });
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('turns 503 unready with Retry-After when a critical check fails', async () => {
    const app = await withChecks({ name: 'postgres', critical: true, check: failing }, { name: 'redis', critical: false, check: passing });
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json()).toEqual({ status: 'unready', checks: { postgres: 'failing: connection refused', redis: 'ok' } });
  });

  it('stays 200 but degraded when only a non-critical check fails', async () => {
    const app = await withChecks({ name: 'postgres', critical: true, check: passing }, { name: 'redis', critical: false, check: failing });
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'degraded', checks: { postgres: 'ok', redis: 'failing: connection refused' } });
  });

  it('turns 503 shutting-down once graceful shutdown starts, whatever the checks say', async () => {
    const app = await withChecks({ name: 'postgres', critical: true, check: passing });
    app.readiness.shuttingDown = true;
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'shutting-down', checks: {} });
  });

  it('refuses a second check under the same name', async () => {
    const app = await withChecks({ name: 'postgres', critical: true, check: passing });
    expect(() => app.addReadinessCheck({ name: 'postgres', critical: false, check: failing })).toThrow(/already registered/);
  });
});

describe('plugin dependencies', () => {
  it('refuses to start redis without health, naming the missing plugin', async () => {
    app = Fastify();
    await expect(app.register(redis, { url: 'redis://127.0.0.1:1' }).ready()).rejects.toThrow(/'health'/);
  });
});
