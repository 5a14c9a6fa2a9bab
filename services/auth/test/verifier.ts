// A service that verifies auth's access tokens exactly as catalog and cart do: the platform
// preset with jwksTokenOptions, fetching auth's JWKS over HTTP and caching keys by kid.
import { BaseConfigSchema, defineServiceConfig, jwksTokenOptions, loadConfig, platform, serverOptions, TokenVerifierConfigSchema } from '@anypod/platform';
import { testEnv } from '@anypod/platform/testing/env';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';

const verifierConfig = defineServiceConfig('verifier', Type.Composite([BaseConfigSchema, TokenVerifierConfigSchema]));

/** GET /verifier/whoami answers 200 only for a token the verifier accepts. */
export async function buildVerifier(jwksUrl: string): Promise<FastifyInstance> {
  const config = loadConfig(verifierConfig, { ...testEnv(), AUTH_JWKS_URL: jwksUrl, POD_NAME: 'verifier-test' });
  const app = Fastify(serverOptions({ logLevel: config.LOG_LEVEL, service: 'verifier', podName: 'verifier-test' }));
  await app.register(platform, { service: 'verifier', prefix: '/verifier', description: 'a token verifier under test', config, tokens: jwksTokenOptions(config) });
  app.get('/verifier/whoami', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }));
  await app.ready();
  return app;
}

export async function whoami(verifier: FastifyInstance, token: string) {
  return verifier.inject({ method: 'GET', url: '/verifier/whoami', headers: { authorization: `Bearer ${token}` } });
}

/** Registers a fresh account on an auth app and returns its access token. */
export async function tokenFrom(auth: FastifyInstance): Promise<string> {
  const email = `keys-${Date.now().toString(36)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const password = 'correct horse battery staple';
  const registered = await auth.inject({ method: 'POST', url: '/auth/register', payload: { email, password } });
  if (registered.statusCode !== 201) throw new Error(`register answered ${registered.statusCode}: ${registered.body}`);
  const login = await auth.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });
  if (login.statusCode !== 200) throw new Error(`login answered ${login.statusCode}: ${login.body}`);
  return login.json<{ accessToken: string }>().accessToken;
}

export type Jwks = { keys: Array<{ kid: string; kty: string; crv: string; x: string; y: string; d?: string }> };

export async function jwksOf(auth: FastifyInstance): Promise<Jwks> {
  const res = await auth.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' });
  if (res.statusCode !== 200) throw new Error(`JWKS answered ${res.statusCode}`);
  return res.json<Jwks>();
}
