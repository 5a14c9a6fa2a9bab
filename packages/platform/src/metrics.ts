// Prometheus metrics with a registry per app instance (no global state shared between tests or
// apps), labelled by route template so cardinality stays bounded. Per-request start times live
// in a WeakMap, not on the request object.
//
// No default labels: which service and pod a series comes from is the scraper's knowledge
// (`namespace`, `pod`, `container` from Kubernetes discovery, the same on the local cluster). A
// scraped `pod` or `service` label would collide with those and be renamed `exported_pod`… by a
// user's Prometheus, breaking every dashboard.
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
// `schema.hide` (kept out of the OpenAPI document) is @fastify/swagger's addition to FastifySchema.
import type {} from '@fastify/swagger';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS_SECONDS, FAMILIES, HTTP_STATUS_CLASSES, statusClassOf } from './anypod-metrics.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}

export const METRICS_PATH = '/metrics';
/** The route label of a request no route matched (a 404 from the not-found handler). */
export const UNMATCHED_ROUTE = 'unmatched';

async function metrics(fastify: FastifyInstance, opts: { enabled?: boolean }) {
  const registry = new Registry();
  fastify.decorate('metrics', registry);
  // Disabled (METRICS_ENABLED=false, to measure what metrics cost): no per-request hooks, no
  // process metrics and no /metrics. The registry stays, so the services' own counters need no
  // second code path; nothing ever reads it.
  if (opts.enabled === false) return;
  collectDefaultMetrics({ register: registry });
  const { httpRequestDuration, httpRequests, httpRequestsInFlight } = FAMILIES;
  const duration = new Histogram({ name: httpRequestDuration.name, help: httpRequestDuration.help, labelNames: ['method', 'route', 'status_code'], buckets: DURATION_BUCKETS_SECONDS, registers: [registry] });
  const requests = new Counter({ name: httpRequests.name, help: httpRequests.help, labelNames: ['method', 'route', 'status_class'], registers: [registry] });
  const inFlight = new Gauge({ name: httpRequestsInFlight.name, help: httpRequestsInFlight.help, registers: [registry] });
  const startedAt = new WeakMap<FastifyRequest, number>();

  // Every route the app registers after this plugin has its request counters at 0 from the start,
  // so an error-rate panel shows 0, not "no data", before the first error. The status code of the
  // histogram has no known set, so its series appear with the first request.
  fastify.addHook('onRoute', (route) => {
    if (route.url === METRICS_PATH) return;
    for (const method of [route.method].flat()) {
      for (const status_class of HTTP_STATUS_CLASSES) requests.inc({ method, route: route.url, status_class }, 0);
    }
  });

  // Callback hooks (served-by.ts says why).
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url !== METRICS_PATH) {
      startedAt.set(request, performance.now());
      inFlight.inc();
      // 'close' fires once the response is sent or the connection dropped; onResponse would miss
      // a request whose client went away, and the gauge would creep up.
      reply.raw.once('close', () => inFlight.dec());
    }
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const start = startedAt.get(request);
    if (start !== undefined) {
      const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
      duration.observe({ method: request.method, route, status_code: reply.statusCode }, (performance.now() - start) / 1000);
      requests.inc({ method: request.method, route, status_class: statusClassOf(reply.statusCode) });
    }
    done();
  });
  fastify.get(METRICS_PATH, { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

export default fp(metrics, { name: 'metrics', fastify: '5.x' });
