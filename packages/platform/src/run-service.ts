// Process entry for a service: telemetry first (so instrumentations patch modules before they
// load), then config, the app, graceful shutdown and listen. server.ts files call only this.
import Fastify, { type FastifyPluginAsync } from 'fastify';
import type { TObject, Static } from '@sinclair/typebox';
import { loadConfigOrExit, podName, type BaseConfig } from './config.ts';
import { installGracefulShutdown } from './graceful.ts';
import { serverOptions } from './server-options.ts';
import { startTelemetry } from './telemetry.ts';

export async function runService<S extends TObject>(opts: {
  service: string;
  configSchema: S;
  /** imported lazily so telemetry can instrument its dependencies */
  loadApp: () => Promise<FastifyPluginAsync<{ config: Static<S> }>>;
}): Promise<void> {
  const config = loadConfigOrExit(opts.configSchema, opts.service) as Static<S> & BaseConfig;
  const telemetry = startTelemetry(opts.service);
  const appPlugin = await opts.loadApp();
  const app = Fastify(serverOptions({ logLevel: config.LOG_LEVEL, service: opts.service, podName: podName(config) }));
  app.addHook('onClose', async () => telemetry.shutdown());
  await app.register(appPlugin, { config });
  installGracefulShutdown(app, { shutdownDelayMs: config.SHUTDOWN_DELAY_MS, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS });
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    app.log.fatal({ err: error }, 'could not start');
    await telemetry.shutdown();
    process.exit(1);
  }
}
