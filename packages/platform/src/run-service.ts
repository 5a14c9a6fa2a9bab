// Process entry for a service: config, the app, graceful shutdown and listen. server.ts starts
// telemetry first and imports this module afterwards (see services/*/src/server.ts); here tracing
// gets the two things it needs from Fastify: @fastify/otel ahead of every route, and a flush of
// the last spans once the server has closed (telemetry.ts).
import Fastify, { type FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { TObject, Static } from '@sinclair/typebox';
import { loadConfigOrExit, podName, type BaseConfig, type ServiceConfig } from './config.ts';
import { installGracefulShutdown } from './graceful.ts';
import { serverOptions } from './server-options.ts';
import type { Telemetry } from './telemetry.ts';

export async function runService<S extends TObject>(opts: {
  config: ServiceConfig<S>;
  telemetry: Telemetry;
  /** imported lazily so telemetry can instrument its dependencies */
  loadApp: () => Promise<FastifyPluginAsync<{ config: Static<S> }>>;
}): Promise<void> {
  const { telemetry } = opts;
  const service = opts.config.service;
  const config = loadConfigOrExit(opts.config) as Static<S> & BaseConfig;
  const appPlugin = await opts.loadApp();
  const app = Fastify(serverOptions({ logLevel: config.LOG_LEVEL, service, podName: podName(config) }));
  // First, so it wraps every route and hook added after it (and sees each route's template).
  if (telemetry.fastifyPlugin) await app.register(telemetry.fastifyPlugin);
  // onClose hooks run last-registered first: this one runs after the server has closed and every
  // plugin has released its resources, so the spans of the last requests are exported.
  app.addHook('onClose', async () => telemetry.shutdown());
  // fp(): the app's decorators (readiness, prisma, redis) live on the root instance, where the
  // shutdown sequence needs them.
  await app.register(fp(appPlugin), { config });
  installGracefulShutdown(app, { shutdownDelayMs: config.SHUTDOWN_DELAY_MS, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    app.log.fatal({ err: error }, 'could not start');
    await telemetry.shutdown();
    process.exit(1);
  }
}
