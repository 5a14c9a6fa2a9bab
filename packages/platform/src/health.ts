// Liveness (/healthz: the process is responsive, never depends on other systems — so a database
// outage cannot cause a restart loop) and readiness (/readyz: every critical check passes and the
// replica is not shutting down). Each plugin that owns a connection adds its own check through
// addReadinessCheck: Postgres is critical; Redis is reported but optional ('degraded'), because
// every use of it has a fallback.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from '@sinclair/typebox';

export interface ReadinessCheck {
  name: string;
  /** a failing critical check makes the replica unready */
  critical: boolean;
  check: () => Promise<unknown>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** adds a check /readyz runs on every probe; names must be unique */
    addReadinessCheck: (check: ReadinessCheck) => void;
    /** set by graceful shutdown (graceful.ts) so /readyz turns 503 before the server closes */
    readiness: { shuttingDown: boolean };
  }
}

const HealthSchema = Type.Object({ status: Type.String({ maxLength: 32 }) });
const ReadySchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('unready'), Type.Literal('shutting-down')]),
  checks: Type.Record(Type.String(), Type.String({ maxLength: 256 })),
});

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);
}

async function health(fastify: FastifyInstance) {
  // Private to this plugin: other plugins can add checks but never see or change the others'.
  const readinessChecks = new Map<string, ReadinessCheck>();
  fastify.decorate('addReadinessCheck', (check: ReadinessCheck) => {
    // The name is the key in /readyz's answer: a second check under it would hide the first.
    if (readinessChecks.has(check.name)) throw new Error(`a readiness check named '${check.name}' is already registered`);
    readinessChecks.set(check.name, check);
  });
  fastify.decorate('readiness', { shuttingDown: false });

  fastify.get('/healthz', { schema: { hide: true, response: { 200: HealthSchema } }, logLevel: 'warn' }, async () => ({ status: 'ok' }));

  fastify.get('/readyz', { schema: { hide: true, response: { 200: ReadySchema, 503: ReadySchema } }, logLevel: 'warn' }, async (_request, reply) => {
    if (fastify.readiness.shuttingDown) return reply.code(503).send({ status: 'shutting-down', checks: {} });
    const checks: Record<string, string> = {};
    let ready = true;
    let degraded = false;
    await Promise.all(
      [...readinessChecks.values()].map(async ({ name, critical, check }) => {
        try {
          await withTimeout(check(), 1500);
          checks[name] = 'ok';
        } catch (error) {
          checks[name] = `failing: ${(error as Error).message}`.slice(0, 256);
          if (critical) ready = false;
          else degraded = true;
        }
      }),
    );
    if (!ready) return reply.code(503).header('retry-after', '2').send({ status: 'unready', checks });
    return { status: degraded ? 'degraded' : 'ready', checks };
  });
}

export default fp(health, { name: 'health', fastify: '5.x' });
