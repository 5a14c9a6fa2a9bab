// What auth reads from its environment (every variable described: .env.example is generated
// from this), and the rules across variables it checks at start-up.
import { Type, type Static } from '@sinclair/typebox';
import { BaseConfigSchema, defineServiceConfig, TokenClaimsConfigSchema } from '@anypod/platform';
import { parsePublicKeys, parseSigningKey } from './signing-keys.ts';

export const AuthConfigSchema = Type.Composite([
  BaseConfigSchema,
  TokenClaimsConfigSchema,
  Type.Object({
    JWT_PRIVATE_KEY: Type.String({
      pattern: '-----BEGIN (EC )?PRIVATE KEY-----',
      maxLength: 8192,
      description: 'the ES256 (P-256) private key access tokens are signed with, PKCS#8 or SEC1 PEM; generate: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256',
    }),
    JWT_ADDITIONAL_PUBLIC_KEYS: Type.Optional(
      Type.String({
        pattern: '-----BEGIN PUBLIC KEY-----',
        maxLength: 8192,
        description: 'P-256 public keys (SPKI PEM, concatenated) published in the JWKS next to the signing key but never signed with: the overlap window of a key rotation (tools/keys/README.md); empty = none',
      }),
    ),
    REFRESH_TOKEN_SECRET: Type.String({ minLength: 32, maxLength: 512, description: 'at least 32 random characters, the HMAC key of refresh tokens; generate: openssl rand -base64 48' }),
    ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 3600, default: 300, description: 'lifetime of an access token' }),
    REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 90 * 86400, default: 14 * 86400, description: 'lifetime of a refresh-token family' }),
    REFRESH_REUSE_GRACE_SECONDS: Type.Integer({ minimum: 0, maximum: 120, default: 10, description: 'how long a rotated refresh token may be retried (its response was lost) and get the same successor' }),
    SESSION_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 30 * 86400, default: 8 * 3600, description: 'lifetime of a cookie session' }),
    COOKIE_SECURE: Type.Boolean({ default: true, description: 'true or false: mark the session cookie Secure (false only for plain-HTTP local clusters)' }),
    LOGIN_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 100_000, default: 30, description: 'login/register requests per client IP per minute, shared by all replicas through Redis' }),
    LOGIN_FAILURES_PER_ACCOUNT: Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'failed logins per account per 15 minutes before 429' }),
    PASSWORD_HASH_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 16, default: 2, description: 'concurrent scrypt hashes per replica (about 128 MiB each)' }),
  }),
]);
export type AuthConfig = Static<typeof AuthConfigSchema>;

export const authConfig = defineServiceConfig('auth', AuthConfigSchema, [
  // The schema only checks the PEM label; these read the keys, so a wrong curve or a damaged
  // key stops the process at start-up (exit 78) instead of failing the first login.
  (c) => {
    const key = parseSigningKey(c.JWT_PRIVATE_KEY);
    return key.ok ? undefined : key.problem;
  },
  (c) => {
    const keys = parsePublicKeys(c.JWT_ADDITIONAL_PUBLIC_KEYS);
    return keys.ok ? undefined : keys.problem;
  },
  (c) =>
    c.ACCESS_TOKEN_TTL_SECONDS < c.REFRESH_TOKEN_TTL_SECONDS
      ? undefined
      : `ACCESS_TOKEN_TTL_SECONDS (${c.ACCESS_TOKEN_TTL_SECONDS}) must be shorter than REFRESH_TOKEN_TTL_SECONDS (${c.REFRESH_TOKEN_TTL_SECONDS}), or a refresh could never extend a session`,
]);
