// Builds the real auth app (real Postgres and Redis) for app.inject tests.
import { loadConfig, serverOptions } from '@anypod/platform';
import { testEnv } from '@anypod/platform/testing/env';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import authApp from '../src/app.ts';
import { authConfig } from '../src/config.ts';

export async function buildAuth(overrides: Record<string, string> = {}): Promise<FastifyInstance> {
  const config = loadConfig(authConfig, { ...testEnv(), POD_NAME: 'auth-test', ...overrides });
  const app = Fastify(serverOptions({ logLevel: config.LOG_LEVEL, service: 'auth', podName: 'auth-test' }));
  // fp() exposes the app's decorators (redis, prisma) to the test, as fastify/demo does.
  await app.register(fp(authApp), { config });
  await app.ready();
  return app;
}

let counter = 0;
/** A unique email per call so tests never collide with each other or with earlier runs. */
export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${Date.now().toString(36)}-${process.pid}-${counter++}@example.test`;
}

export const PASSWORD = 'correct horse battery staple';
