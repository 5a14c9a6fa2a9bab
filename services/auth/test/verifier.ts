// A service that verifies auth's access tokens exactly as catalog and cart do: the platform
// preset with jwksTokenOptions, fetching auth's JWKS over HTTP and caching keys by kid.
import { BaseConfigSchema, defineServiceConfig, jwksTokenOptions, platform, TokenVerifierConfigSchema } from '@anypod/platform';
import { buildApp } from '@anypod/platform/testing/build-app';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { newAccount } from './users.ts';

const verifierConfig = defineServiceConfig('verifier', Type.Composite([BaseConfigSchema, TokenVerifierConfigSchema]));

/** GET /verifier/whoami answers 200 only for a token the verifier accepts. */
export function buildVerifier(jwksUrl: string): Promise<FastifyInstance> {
  return buildApp(verifierConfig, verifierApp, { AUTH_JWKS_URL: jwksUrl });
}

async function verifierApp(app: FastifyInstance, { config }: { config: Static<typeof verifierConfig.schema> }) {
  await app.register(platform, { service: 'verifier', prefix: '/verifier', description: 'a token verifier under test', config, tokens: jwksTokenOptions(config) });
  app.get('/verifier/whoami', { onRequest: [app.authenticate] }, async (request) => ({ sub: request.user.sub }));
}

export async function whoami(verifier: FastifyInstance, token: string) {
  return verifier.inject({ method: 'GET', url: '/verifier/whoami', headers: { authorization: `Bearer ${token}` } });
}

/** Registers a fresh account on an auth app and returns its access token. */
export async function tokenFrom(auth: FastifyInstance): Promise<string> {
  return (await newAccount(auth, 'keys')).accessToken;
}

export type Jwks = { keys: Array<{ kid: string; kty: string; crv: string; x: string; y: string; d?: string }> };

export async function jwksOf(auth: FastifyInstance): Promise<Jwks> {
  const res = await auth.inject({ method: 'GET', url: '/auth/.well-known/jwks.json' });
  if (res.statusCode !== 200) throw new Error(`JWKS answered ${res.statusCode}`);
  return res.json<Jwks>();
}
