// The shared building blocks, registered in one call by every service's app plugin:
// problem+json errors, X-Served-By, security headers and CORS, metrics, health/readiness,
// Redis, token verification and the OpenAPI document.
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { BaseConfig } from './config.ts';
import { podName } from './config.ts';
import { drainConnectionsOnClose } from './graceful.ts';
import health from './health.ts';
import metrics from './metrics.ts';
import problem from './problem.ts';
import redis from './redis.ts';
import security from './security.ts';
import servedBy from './served-by.ts';
import tokenVerifier, { type TokenVerifierOptions } from './token-verifier.ts';

export interface PlatformOptions {
  service: string;
  /** public URL prefix of the service behind the Ingress, e.g. /auth */
  prefix: string;
  description: string;
  config: BaseConfig;
  tokens: TokenVerifierOptions;
}

async function platform(fastify: FastifyInstance, opts: PlatformOptions) {
  const pod = podName(opts.config);
  await fastify.register(problem);
  await fastify.register(servedBy, { podName: pod });
  await fastify.register(security, { corsOrigins: opts.config.CORS_ORIGINS });
  await fastify.register(metrics, { service: opts.service, podName: pod });
  await fastify.register(health);
  drainConnectionsOnClose(fastify);
  await fastify.register(redis, { url: opts.config.REDIS_URL });
  fastify.readiness.checks.push({ name: 'redis', critical: false, check: () => fastify.redis.ping() });
  await fastify.register(tokenVerifier, opts.tokens);
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `anypod ${opts.service}`, version: '1.0.0', description: opts.description },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  fastify.get(`${opts.prefix}/openapi.json`, { schema: { hide: true } }, async () => fastify.swagger());
  if (opts.config.STATE_STORE === 'memory') {
    fastify.log.warn({ stateStore: 'memory' }, 'STATE_STORE=memory: DEMONSTRATION MODE — state lives in this process, is lost on restart and is invisible to other replicas');
  }
}

export default fp(platform, { name: 'platform', fastify: '5.x' });
