// The shutdown sequence from reliability.md, for a process that received SIGTERM:
//   1. readiness turns 503 (load balancers that probe stop sending new work);
//   2. keep serving for SHUTDOWN_DELAY_MS (0 under Kubernetes: the pre-stop sleep already ran
//      before SIGTERM; set it where no pre-stop hook exists);
//   3. app.close(): stop accepting, finish in-flight requests, close keep-alive sockets
//      (return503OnClosing is off, so stragglers are served, not refused);
//   4. onClose hooks flush telemetry and close Postgres/Redis; exit 0.
// A second signal or the timeout forces exit 1 so the process never outlives its grace period.
import type { FastifyInstance } from 'fastify';

export interface GracefulOptions {
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
}

export function installGracefulShutdown(app: FastifyInstance, opts: GracefulOptions): void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = async (signal: NodeJS.Signals) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal during shutdown; exiting now');
      return exit(1);
    }
    stopping = true;
    const started = Date.now();
    app.log.info({ signal, delayMs: opts.shutdownDelayMs }, 'shutdown: readiness off, draining');
    app.readiness.shuttingDown = true;
    const timer = setTimeout(() => {
      app.log.error({ timeoutMs: opts.shutdownTimeoutMs }, 'shutdown timed out; forcing exit');
      exit(1);
    }, opts.shutdownTimeoutMs);
    timer.unref();
    try {
      if (opts.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, opts.shutdownDelayMs));
      await app.close();
      app.log.info({ tookMs: Date.now() - started }, 'shutdown complete');
      clearTimeout(timer);
      exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      exit(1);
    }
  };
  for (const signal of opts.signals ?? ['SIGTERM', 'SIGINT']) process.on(signal, onSignal);
}

/**
 * Lets close() finish promptly with keep-alive clients connected:
 * - idle sockets are closed as soon as close() starts (Node's server.close() does this too, but
 *   Fastify only asks for it with a custom serverFactory, fastify#7044);
 * - a socket that is busy when close() starts would get its response with keep-alive and then
 *   sit idle, holding close() for keepAliveTimeout (72 s) — so every response sent while
 *   shutting down carries `Connection: close`, and idle sockets are swept again until close()
 *   resolves. Fastify itself adds `Connection: close` only to requests that arrive after close().
 */
export function drainConnectionsOnClose(app: FastifyInstance): void {
  let closing = false;
  let sweeper: NodeJS.Timeout | undefined;
  app.addHook('onSend', (_request, reply, _payload, done) => {
    if (closing || app.readiness?.shuttingDown) reply.header('connection', 'close');
    done();
  });
  app.addHook('preClose', async () => {
    closing = true;
    app.server.closeIdleConnections?.();
    sweeper = setInterval(() => app.server.closeIdleConnections?.(), 50);
    sweeper.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
  });
}
