// The preset every service's app plugin registers first. Each piece is its own named plugin,
// usable alone; this only fixes their order and feeds them from the service's config:
//   problem         problem+json errors (first: a route keeps the error handler set before it)
//   served-by       X-Served-By on every response
//   security        security headers and CORS
//   metrics         /metrics: request duration, counts and in-flight by route template (METRICS_ENABLED)
//   health          /healthz, /readyz, addReadinessCheck (then connection draining on close)
//   redis           the shared connection and its readiness check              needs health
//   token-verifier  authenticate, requireRole, denyAccessToken                 needs redis
//   session-pods    which pod served each session's previous request (metric)  needs token-verifier
//   openapi         ${prefix}/openapi.json (before the service's routes, which it collects)
//   api-reference   ${prefix}/docs: Swagger UI on that document                needs security
// Redis and token verification stay mandatory: every service uses both, and REDIS_URL is part
// of BaseConfig.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import apiReference from './api-reference.ts';
import type { BaseConfig } from './config.ts';
import { podName } from './config.ts';
import { drainConnectionsOnClose } from './graceful.ts';
import health from './health.ts';
import metrics from './metrics.ts';
import openapi, { type OpenapiOptions } from './openapi.ts';
import problem from './problem.ts';
import redis from './redis.ts';
import security from './security.ts';
import servedBy from './served-by.ts';
import sessionPods from './session-pods.ts';
import tokenVerifier, { type TokenVerifierOptions } from './token-verifier.ts';

export interface PlatformOptions extends OpenapiOptions {
  config: BaseConfig;
  tokens: TokenVerifierOptions;
}

async function platform(fastify: FastifyInstance, opts: PlatformOptions) {
  const { config } = opts;
  const pod = podName(config);
  await fastify.register(problem);
  await fastify.register(servedBy, { podName: pod });
  await fastify.register(security, { corsOrigins: config.CORS_ORIGINS });
  await fastify.register(metrics, { enabled: config.METRICS_ENABLED });
  await fastify.register(health);
  drainConnectionsOnClose(fastify);
  await fastify.register(redis, { url: config.REDIS_URL });
  await fastify.register(tokenVerifier, opts.tokens);
  await fastify.register(sessionPods, { service: opts.service, podName: pod });
  await fastify.register(openapi, { service: opts.service, prefix: opts.prefix, description: opts.description });
  await fastify.register(apiReference, { service: opts.service, prefix: opts.prefix });
  if (config.STATE_STORE === 'memory') {
    fastify.log.warn({ stateStore: 'memory' }, 'STATE_STORE=memory: DEMONSTRATION MODE — state lives in this process, is lost on restart and is invisible to other replicas');
  }
}

export default fp(platform, { name: 'platform', fastify: '5.x' });
