// The shared Redis connection. Redis only holds what may be lost (cache, counters, denylist
// mirrors), so the client fails fast instead of queueing while Redis is down, and callers fall
// back to Postgres or skip the optional work. It keeps reconnecting, so service recovers without
// a restart when Redis comes back.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

export function createRedis(url: string, onError: (error: Error) => void): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false, // fail at once while disconnected; never pile up commands
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000, // a slow Redis must not hold a request longer than Postgres would
    retryStrategy: (times) => Math.min(100 * times, 2000), // reconnect forever, at most every 2 s
    lazyConnect: false,
  });
  redis.on('error', onError);
  return redis;
}

async function redisPlugin(fastify: FastifyInstance, opts: { url: string }) {
  let lastLogged = 0;
  const redis = createRedis(opts.url, (error) => {
    // An outage emits an error per reconnect attempt: log at most one every 10 s.
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      fastify.log.warn({ err: error.message }, 'redis unavailable; continuing without it');
    }
  });
  fastify.decorate('redis', redis);
  // Not critical: every use of Redis has a fallback, so an outage reports 'degraded' and the
  // replica keeps taking traffic.
  fastify.addReadinessCheck({ name: 'redis', critical: false, check: () => redis.ping() });
  fastify.addHook('onClose', async () => {
    redis.disconnect();
  });
}

export default fp(redisPlugin, { name: 'redis', fastify: '5.x', dependencies: ['health'] });
