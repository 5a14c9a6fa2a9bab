// Builds the real cart app (real Postgres and Redis, tokens verified against a real auth
// service's JWKS) for app.inject tests, plus small request helpers.
import { randomUUID } from 'node:crypto';
import { buildApp } from '@anypod/platform/testing/build-app';
import type { FastifyInstance } from 'fastify';
import cartApp from '../src/app.ts';
import { cartConfig } from '../src/config.ts';

export const buildCart = (env: { AUTH_JWKS_URL: string; CATALOG_URL: string } & Record<string, string>): Promise<FastifyInstance> => buildApp(cartConfig, cartApp, env);

/** A fresh Idempotency-Key (a UUID: 36 characters, in the accepted set). */
export const newKey = () => randomUUID();

export const auth = (token: string, headers: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...headers });
