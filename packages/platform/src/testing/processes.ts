// Real service processes for multi-replica and shutdown tests: spawn with an environment, wait
// until /readyz answers, stop with a signal and observe the exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../local-infra.ts';
import { assertBuilt, serviceArgs, type ServiceRuntime } from '../service-command.ts';

export interface ServiceProcess {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export { freePort } from '../local-infra.ts';

/**
 * Starts the service in `cwd` — its production build, what the images run (the vitest global
 * setup builds it), or a TypeScript `entry` through tsx — and waits for /readyz.
 */
export async function startService(opts: { name: string; cwd: string; entry?: string; env: Record<string, string>; port?: number; readyTimeoutMs?: number }): Promise<ServiceProcess> {
  const runtime: ServiceRuntime = opts.entry ? { kind: 'source', entry: opts.entry } : { kind: 'build' };
  if (runtime.kind === 'build') assertBuilt(opts.cwd, opts.name);
  const port = opts.port ?? (await freePort());
  let log = '';
  const child = spawn(process.execPath, serviceArgs(runtime), {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env, PORT: String(port), HOST: '127.0.0.1', POD_NAME: opts.name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${opts.name} exited with ${child.exitCode} before becoming ready:\n${log}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) return { name: opts.name, port, url, child, output: () => log, exited };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`${opts.name} was not ready within the timeout:\n${log}`);
}

export async function stopService(service: ServiceProcess, signal: NodeJS.Signals = 'SIGTERM') {
  if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill(signal);
  return service.exited;
}
