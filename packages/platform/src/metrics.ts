// Prometheus metrics with a registry per app instance (no global state shared between tests or
// apps), labelled by route template so cardinality stays bounded. The timer lives in a WeakMap,
// not on the request object.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

async function metrics(fastify: FastifyInstance, opts: { service: string; podName: string }) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service, pod: opts.podName });
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const timers = new WeakMap<FastifyRequest, (labels: Record<string, string | number>) => void>();

  fastify.decorate('metrics', registry);
  fastify.addHook('onRequest', async (request) => {
    timers.set(request, duration.startTimer());
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === '/metrics') return;
    timers.get(request)?.({ method: request.method, route: route ?? 'unmatched', status_code: reply.statusCode });
  });
  fastify.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

export default fp(metrics, { name: 'metrics', fastify: '5.x' });
