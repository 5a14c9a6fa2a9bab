// A test's own redis-server (no persistence, like the project's: Redis holds only what may be
// lost), on a fresh port, for tests that stop Redis for real without touching the shared one.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { freePort } from '../local-infra.ts';

export interface RedisServer {
  readonly port: number;
  readonly child: ChildProcess;
  /** SIGTERM, resolved once the process has exited (idempotent) */
  stop(): Promise<void>;
}

/** Starts redis-server on 127.0.0.1 and resolves once it accepts connections. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`redis-server could not be started (${error.message}): install Redis (tools/infra/ensure-packages.sh)`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${String(code)} before it was ready`)));
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  try {
    // Redis logs this line once its listening socket is open.
    const ready = (async () => {
      for await (const line of lines) if (line.includes('Ready to accept connections')) return;
      throw new Error('redis-server closed its output before it was ready');
    })();
    await Promise.race([ready, failed]);
  } finally {
    failed.catch(() => undefined);
    lines.close();
    child.stdout?.resume();
  }
  const exited = once(child, 'exit');
  return {
    port,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await exited;
    },
  };
}
