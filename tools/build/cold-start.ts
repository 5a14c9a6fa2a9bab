// Cold start of one service process, measured one way for everyone who asks (tools/build/
// measure-startup.ts, which chose the production build; `make bench`'s cold-start stage): spawn
// → first GET /readyz 200, with the environment the local cluster gives a replica, and the
// resident memory of the process at that moment. Loopback only; the process is stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '../cluster/cluster.ts';
import { replicaEnv } from '../cluster/local-env.ts';
import type { ClusterManifests } from '../cluster/manifests.ts';
import type { ClusterSecrets } from '../cluster/secrets.ts';
import type { ServiceName } from '../cluster/types.ts';

/**
 * The environment the local cluster gives a replica of `service` listening on `port`
 * (tools/cluster/local-env.ts over k8s/), with the Ingress address pointing at `ingressUrl`
 * (where catalog and cart fetch auth's JWKS and cart reaches catalog).
 */
export function replicaProcessEnv(manifests: ClusterManifests, service: ServiceName, opts: { port: number; ingressUrl: string; secrets: ClusterSecrets; extra?: Record<string, string> }): Record<string, string> {
  const ctx = {
    replica: `${service}-coldstart`,
    port: opts.port,
    ingressUrl: opts.ingressUrl,
    databaseUrl: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    redisUrl: process.env.REDIS_URL ?? DEFAULT_REDIS_URL,
    secrets: opts.secrets,
    runner: process.env,
  };
  return replicaEnv(manifests.service(service), ctx, opts.extra ?? {}, manifests.serviceNames);
}

/** VmRSS of a process in MiB (0 once it is gone). */
export function processRssMiB(pid: number): number {
  try {
    const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line ? Number(line[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export interface ColdStartSpec {
  /** the full command, e.g. [taskset, -c, 0, node, --enable-source-maps, dist/server.js] */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** http://127.0.0.1:<PORT> of the process */
  url: string;
  readinessPath?: string;
  timeoutMs?: number;
}

export interface StartedProcess {
  child: ChildProcess;
  pid: number;
  /** spawn → first readiness 200, ms */
  readyMs: number;
  /** RSS at that moment, MiB */
  readyRssMiB: number;
  /** the last 4000 characters of its stdout and stderr */
  output: () => string;
  stop: () => Promise<void>;
}

/** Spawns the command and resolves when its readiness path first answers 200 (polled every 10 ms). */
export async function startUntilReady(spec: ColdStartSpec): Promise<StartedProcess> {
  const [command, ...args] = spec.argv;
  if (!command) throw new Error('startUntilReady: empty argv');
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  const started = performance.now();
  const child = spawn(command, args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = started + (spec.timeoutMs ?? 60_000);
  try {
    while (performance.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.signalCode ?? child.exitCode}) before it was ready`);
      try {
        const res = await fetch(`${spec.url}${spec.readinessPath ?? '/readyz'}`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) {
          const readyMs = performance.now() - started;
          return { child, pid: child.pid as number, readyMs, readyRssMiB: processRssMiB(child.pid as number), output: () => output, stop };
        }
      } catch {
        // not listening yet
      }
      await sleep(10);
    }
    throw new Error(`not ready within ${spec.timeoutMs ?? 60_000} ms`);
  } catch (error) {
    await stop();
    throw new Error(`${spec.argv.join(' ')}: ${(error as Error).message}\n${output}`, { cause: error });
  }
}
