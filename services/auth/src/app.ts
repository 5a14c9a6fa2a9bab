// The auth service as one Fastify plugin: shared platform first, then infrastructure
// (Postgres, cookies, rate limits), then domain services, then routes under /auth.
import { platform } from '@anypod/platform';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { AuthConfig } from './config.ts';
import currentUser from './plugins/app/current-user.ts';
import loginLimits from './plugins/app/login-limits.ts';
import passwords from './plugins/app/passwords.ts';
import refreshTokens from './plugins/app/refresh-tokens.ts';
import sessions from './plugins/app/sessions.ts';
import users from './plugins/app/users.ts';
import prisma from './plugins/external/prisma.ts';
import authRoutes from './routes/auth.ts';
import { accessTokenKeys } from './signing-keys.ts';

export default async function authApp(fastify: FastifyInstance, opts: { config: AuthConfig }) {
  const { config } = opts;
  // The signing key (normalised to PKCS#8, kid = its RFC 7638 thumbprint) and the JWKS: that key
  // plus the additional public keys of a rotation's overlap window.
  const keys = accessTokenKeys(config);
  await fastify.register(platform, {
    service: 'auth',
    prefix: '/auth',
    description: 'Accounts, tokens and sessions. Access tokens are ES256 JWTs that every service verifies with the public keys from /auth/.well-known/jwks.json.',
    config,
    tokens: {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      signing: { privateKeyPem: keys.signing.privateKeyPem, kid: keys.signing.kid, expiresInSeconds: config.ACCESS_TOKEN_TTL_SECONDS },
    },
  });
  await fastify.register(prisma, { databaseUrl: config.DATABASE_URL, poolSize: config.DB_POOL_SIZE });
  await fastify.register(cookie);
  // Per-IP limits shared by every replica through Redis; routes opt in with config.rateLimit.
  await fastify.register(rateLimit, { global: false, redis: fastify.redis, nameSpace: 'auth-rate:', skipOnError: true });
  await fastify.register(users);
  await fastify.register(passwords, { concurrency: config.PASSWORD_HASH_CONCURRENCY });
  await fastify.register(refreshTokens, { secret: config.REFRESH_TOKEN_SECRET, ttlSeconds: config.REFRESH_TOKEN_TTL_SECONDS, graceSeconds: config.REFRESH_REUSE_GRACE_SECONDS });
  await fastify.register(sessions, { stateStore: config.STATE_STORE });
  await fastify.register(loginLimits, { maxFailures: config.LOGIN_FAILURES_PER_ACCOUNT });
  await fastify.register(currentUser);
  await fastify.register(authRoutes, { prefix: '/auth', config, jwks: keys.jwks });
}
