// Builds the real auth app (real Postgres and Redis) for app.inject tests.
import { buildApp } from '@anypod/platform/testing/build-app';
import type { FastifyInstance } from 'fastify';
import authApp from '../src/app.ts';
import { authConfig } from '../src/config.ts';

export const buildAuth = (overrides: Record<string, string> = {}): Promise<FastifyInstance> => buildApp(authConfig, authApp, overrides);
