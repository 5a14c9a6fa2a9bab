// The real app of a service, built in the test process for app.inject tests (real Postgres and
// Redis), the same way for every service: its configuration read from the test environment plus
// the test's overrides, the Fastify options of production, and the app registered with fp() so
// its decorators (prisma, redis, cartStore, ...) are visible to the test, as fastify/demo does.
// Each service's test/helper.ts keeps a one-line buildX() over this.
import type { Static, TObject } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { loadConfig, type ServiceConfig } from '../config.ts';
import { serverOptions } from '../server-options.ts';
import { testEnv } from './env.ts';

/** A service as one plugin: src/app.ts's default export. */
export type ServiceApp<C> = (fastify: FastifyInstance, opts: { config: C }) => Promise<void>;

/** Builds and readies the app; POD_NAME defaults to `<service>-test` (its X-Served-By and log field). */
export async function buildApp<T extends TObject>(config: ServiceConfig<T>, app: ServiceApp<Static<T>>, overrides: Record<string, string> = {}): Promise<FastifyInstance> {
  const podName = overrides.POD_NAME ?? `${config.service}-test`;
  const loaded = loadConfig(config, { ...testEnv(), POD_NAME: podName, ...overrides });
  const fastify = Fastify(serverOptions({ logLevel: (loaded as { LOG_LEVEL: string }).LOG_LEVEL, service: config.service, podName }));
  await fastify.register(fp(app), { config: loaded });
  await fastify.ready();
  return fastify;
}
