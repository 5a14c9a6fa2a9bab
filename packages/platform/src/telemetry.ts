// OpenTelemetry tracing. It must start before Fastify, undici, pg and ioredis are imported, or
// the instrumentations find nothing to patch and no span is ever made (seen here): server.ts
// imports only this module statically, awaits startTelemetry() and imports everything else after.
//
// Configured only by the standard OTEL_* variables
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/): on when
// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, unless
// OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none; the SDK itself reads the protocol
// (http/protobuf by default), batching, sampler, propagators, OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES. Off, the SDK is not even loaded (measured on the bundle: 0.73 → 0.52 s
// to ready, 152 → 132 MiB), so tests and a bare `pnpm start` send nothing and log nothing about it.
//
// What is traced: http (server and client spans), undici (cart → catalog, which also puts the W3C
// traceparent on the wire), pg, ioredis, and Fastify itself through @fastify/otel — its request
// and handler spans carry http.route, and it hands the route template to the http server span,
// which is then named "POST /cart/checkout" rather than "POST". Log lines carry the active span's
// ids (log-trace-context.ts).

import { register } from 'node:module';
import type { FastifyPluginCallback } from 'fastify';

export interface Telemetry {
  /**
   * @fastify/otel's plugin, present when tracing is on: registered on the root instance before
   * any route or hook (run-service.ts), since it wraps the routes and hooks added after it.
   */
  fastifyPlugin?: FastifyPluginCallback;
  /** Exports the spans still buffered, then stops: the last step of a graceful shutdown. */
  shutdown: () => Promise<void>;
}

/** Probes and scrapes: several a second from every kubelet and Prometheus, never worth a trace. */
export const UNTRACED_PATH = /^\/(healthz|readyz|metrics)(?:[/?]|$)/;

/** Whether the standard variables ask for traces (see the top of this file). */
export function tracingEnabled(env: NodeJS.ProcessEnv): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint?.trim()) return false;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return env.OTEL_TRACES_EXPORTER?.split(',')[0]?.trim() !== 'none';
}

/**
 * The resource every span carries: which service, which pod (service.instance.id and
 * k8s.pod.name: the replica name, as in X-Served-By), which namespace. POD_NAME and POD_NAMESPACE
 * come from the downward API in the chart and from the local cluster, which runs the same
 * manifests. OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still win, as the specification
 * wants (the chart's k8s.namespace.name=$(POD_NAMESPACE) there is the same value).
 */
export function resourceAttributes(service: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const pod = env.POD_NAME || env.HOSTNAME || 'local';
  return {
    'service.name': env.OTEL_SERVICE_NAME || service,
    'service.instance.id': pod,
    'k8s.pod.name': pod,
    ...(env.POD_NAMESPACE ? { 'k8s.namespace.name': env.POD_NAMESPACE } : {}),
  };
}

export async function startTelemetry(service: string, env: NodeJS.ProcessEnv = process.env): Promise<Telemetry> {
  if (!tracingEnabled(env)) return { shutdown: async () => {} };
  // The instrumentations patch modules as they load: `require` calls through
  // require-in-the-middle, ES-module imports (ioredis, as the services import it) only through
  // this loader hook, registered before anything they patch is imported.
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  const [{ FastifyOtelInstrumentation }, { HttpInstrumentation }, { IORedisInstrumentation }, { PgInstrumentation }, { UndiciInstrumentation }, { envDetector, hostDetector, osDetector, processDetector, resourceFromAttributes }, { NodeSDK }] =
    await Promise.all([
      import('@fastify/otel'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/instrumentation-ioredis'),
      import('@opentelemetry/instrumentation-pg'),
      import('@opentelemetry/instrumentation-undici'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/sdk-node'),
    ]);
  // Traces only: metrics are scraped by Prometheus from /metrics, logs go to stdout.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  const fastifyInstrumentation = new FastifyOtelInstrumentation({
    ignorePaths: ({ url }) => UNTRACED_PATH.test(url),
    // The request and handler spans only. A span per hook made 12 of a GET's 20 spans, named after
    // the plugin around the hook ("onResponse - orderRoutes", four times): helmet, CORS, served-by
    // and metrics, microseconds each. The work hooks do (the token check in Redis) still shows,
    // as a child of the request span.
    instrumentHooks: false,
  });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes(resourceAttributes(service, env)),
    // The SDK's default detectors include one that sets service.instance.id to a random UUID,
    // over ours: here it is the pod name, which every span must carry.
    resourceDetectors: [envDetector, hostDetector, osDetector, processDetector],
    // No traceExporter: the SDK builds it from OTEL_TRACES_EXPORTER and OTEL_EXPORTER_OTLP_*.
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED_PATH.test(req.url ?? '') }),
      new UndiciInstrumentation(),
      new PgInstrumentation(),
      new IORedisInstrumentation(),
      // Built on an older @opentelemetry/instrumentation (0.22x): it only needs a tracer, which the
      // SDK hands it like the others, and it never patches a module (its plugin does the work).
      fastifyInstrumentation,
    ],
  });
  sdk.start();
  // The hook knows which modules to patch once it has acknowledged what the instrumentations asked for.
  await waitForAllMessagesAcknowledged();
  return { fastifyPlugin: fastifyInstrumentation.plugin(), shutdown: () => sdk.shutdown() };
}
