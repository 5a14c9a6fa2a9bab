// The auth service as one Fastify plugin: shared platform first, then infrastructure
// (Postgres, cookies, rate limits), then domain services, then routes under /auth.
import { platform, publicJwk } from '@anypod/platform';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { AuthConfig } from './config.ts';
import loginLimits from './plugins/app/login-limits.ts';
import passwords from './plugins/app/passwords.ts';
import refreshTokens from './plugins/app/refresh-tokens.ts';
import sessions from './plugins/app/sessions.ts';
import prisma from './plugins/external/prisma.ts';
import authRoutes from './routes/auth.ts';

export default async function authApp(fastify: FastifyInstance, opts: { config: AuthConfig }) {
  const { config } = opts;
  await fastify.register(platform, {
    service: 'auth',
    prefix: '/auth',
    description: 'Accounts, tokens and sessions. Access tokens are ES256 JWTs that every service verifies with the public keys from /auth/.well-known/jwks.json.',
    config,
    tokens: {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      signing: { privateKeyPem: config.JWT_PRIVATE_KEY, kid: publicJwk(config.JWT_PRIVATE_KEY).kid, expiresInSeconds: config.ACCESS_TOKEN_TTL_SECONDS },
    },
  });
  await fastify.register(prisma, { databaseUrl: config.DATABASE_URL, poolSize: config.DB_POOL_SIZE });
  await fastify.register(cookie);
  // Per-IP limits shared by every replica through Redis; routes opt in with config.rateLimit.
  await fastify.register(rateLimit, { global: false, redis: fastify.redis, nameSpace: 'auth-rate:', skipOnError: true });
  await fastify.register(passwords, { concurrency: config.PASSWORD_HASH_CONCURRENCY });
  await fastify.register(refreshTokens, { secret: config.REFRESH_TOKEN_SECRET, ttlSeconds: config.REFRESH_TOKEN_TTL_SECONDS, graceSeconds: config.REFRESH_REUSE_GRACE_SECONDS });
  await fastify.register(sessions, { stateStore: config.STATE_STORE });
  await fastify.register(loginLimits, { maxFailures: config.LOGIN_FAILURES_PER_ACCOUNT });
  await fastify.register(authRoutes, { prefix: '/auth', config });
}
