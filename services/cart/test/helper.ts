// Builds the real cart app (real Postgres and Redis, tokens verified against a real auth
// service's JWKS) for app.inject tests, plus small request helpers.
import { randomUUID } from 'node:crypto';
import { loadConfig, serverOptions } from '@anypod/platform';
import { testEnv } from '@anypod/platform/testing/env';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import cartApp from '../src/app.ts';
import { cartConfig } from '../src/config.ts';

export async function buildCart(env: { AUTH_JWKS_URL: string; CATALOG_URL: string } & Record<string, string>): Promise<FastifyInstance> {
  const podName = env.POD_NAME ?? 'cart-test';
  const config = loadConfig(cartConfig, { ...testEnv(), POD_NAME: podName, ...env });
  const app = Fastify(serverOptions({ logLevel: config.LOG_LEVEL, service: 'cart', podName }));
  // fp() exposes the app's decorators (prisma, cartStore) to the test, as fastify/demo does.
  await app.register(fp(cartApp), { config });
  await app.ready();
  return app;
}

/** A fresh Idempotency-Key (a UUID: 36 characters, in the accepted set). */
export const newKey = () => randomUUID();

export const auth = (token: string, headers: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...headers });
