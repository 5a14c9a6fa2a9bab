import { Type, type Static } from '@sinclair/typebox';
import { BaseConfigSchema } from '@anypod/platform';

export const AuthConfigSchema = Type.Composite([
  BaseConfigSchema,
  Type.Object({
    JWT_PRIVATE_KEY: Type.String({ pattern: '-----BEGIN PRIVATE KEY-----', maxLength: 8192, description: 'an ES256 (P-256) private key in PKCS#8 PEM' }),
    JWT_ISSUER: Type.String({ minLength: 1, maxLength: 256, default: 'anypod-auth' }),
    JWT_AUDIENCE: Type.String({ minLength: 1, maxLength: 256, default: 'anypod' }),
    REFRESH_TOKEN_SECRET: Type.String({ minLength: 32, maxLength: 512, description: 'at least 32 random characters (HMAC key for refresh tokens)' }),
    ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 3600, default: 300 }),
    REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 90 * 86400, default: 14 * 86400 }),
    REFRESH_REUSE_GRACE_SECONDS: Type.Integer({ minimum: 0, maximum: 120, default: 10, description: 'seconds a rotated refresh token may be retried (lost response)' }),
    SESSION_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 30 * 86400, default: 8 * 3600 }),
    COOKIE_SECURE: Type.Boolean({ default: true, description: 'true or false: mark the session cookie Secure' }),
    LOGIN_RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, maximum: 100_000, default: 30, description: 'login/register requests per client IP per minute' }),
    LOGIN_FAILURES_PER_ACCOUNT: Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'failed logins per account per 15 minutes before 429' }),
    PASSWORD_HASH_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 16, default: 2 }),
  }),
]);
export type AuthConfig = Static<typeof AuthConfigSchema>;
