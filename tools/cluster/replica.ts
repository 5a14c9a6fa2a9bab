// One replica: one service process with its own pod name and port, like a Pod with one
// container. It is started, probed for readiness, signalled and reaped here; deciding when to do
// which is the cluster's job (cluster.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpGet, isAlive, signalGroup, tail, withParentDeathSignal } from './process-utils.ts';
import { serviceArgs, type ServiceRuntime } from '@anypod/platform/service-command';
import type { ServiceName } from './types.ts';

export interface ReplicaExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  atMs: number;
}

export interface ReplicaSpec {
  service: ServiceName;
  name: string;
  port: number;
  /** the service folder: the process runs there */
  cwd: string;
  /** what it runs: the production build, unless `make dev` (watch) or a mutation test (source) says otherwise */
  runtime: ServiceRuntime;
  /** the whole environment (nothing is inherited implicitly) */
  env: Record<string, string>;
  /** the readiness probe's path (from the manifest): polled until it passes, then every period (cluster.ts) */
  readinessPath: string;
  logFile: string;
}

const NAME_ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

/** `<service>-<5 random lowercase letters>`, like a ReplicaSet's pod names; never one in `taken`. */
export function newReplicaName(service: ServiceName, taken: ReadonlySet<string> = new Set()): string {
  for (;;) {
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
    const name = `${service}-${suffix}`;
    if (!taken.has(name)) return name;
  }
}

export class Replica {
  readonly service: ServiceName;
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly logFile: string;
  readonly readinessPath: string;
  readonly pid: number;
  readonly startedAtMs: number;
  /** resolves once, when the process has exited (never rejects) */
  readonly exited: Promise<ReplicaExit>;
  exit: ReplicaExit | null = null;
  private readonly child: ChildProcess;

  private constructor(spec: ReplicaSpec, child: ChildProcess) {
    this.service = spec.service;
    this.name = spec.name;
    this.port = spec.port;
    this.url = `http://127.0.0.1:${spec.port}`;
    this.logFile = spec.logFile;
    this.readinessPath = spec.readinessPath;
    this.child = child;
    this.pid = child.pid as number;
    this.startedAtMs = Date.now();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal, atMs: Date.now() };
        resolve(this.exit);
      });
    });
  }

  /** Spawns the process (its stdout and stderr appended to spec.logFile) and returns at once. */
  static start(spec: ReplicaSpec): Replica {
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const fd = openSync(spec.logFile, 'a');
    writeSync(fd, `# ${new Date().toISOString()} starting ${spec.name} on 127.0.0.1:${spec.port}\n`);
    try {
      const [command, args] = withParentDeathSignal(process.execPath, serviceArgs(spec.runtime), 'SIGTERM');
      const child = spawn(command, args, {
        cwd: spec.cwd,
        env: spec.env,
        // The process writes its log file itself: nothing is piped through the runner, so a busy
        // or exiting runner never blocks a replica on a full pipe.
        stdio: ['ignore', fd, fd],
        // Its own process group, so a signal reaches anything it starts too.
        detached: true,
      });
      if (child.pid === undefined) throw new Error(`could not start ${spec.name}`);
      return new Replica(spec, child);
    } finally {
      closeSync(fd);
    }
  }

  get alive(): boolean {
    return this.exit === null && isAlive(this.pid);
  }

  /** Sends a signal to the replica's process group; false if it had already exited. */
  signal(signal: NodeJS.Signals): boolean {
    if (this.exit) return false;
    return signalGroup(this.pid, signal);
  }

  /** The end of the replica's log, for error messages. */
  logTail(bytes = 3000): string {
    return tail(this.logFile, bytes);
  }

  /**
   * One readiness probe, judged as the kubelet judges an httpGet probe: a status from 200 to 399
   * within `timeoutMs` passes; another status, a network error or the deadline fails. `detail`
   * says what was seen.
   */
  async probeReadiness(timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
    try {
      const res = await httpGet(`${this.url}${this.readinessPath}`, timeoutMs);
      const ok = res.status >= 200 && res.status < 400;
      return { ok, detail: `${this.readinessPath} answered ${res.status}${ok ? '' : `: ${res.body.slice(0, 300)}`}` };
    } catch (error) {
      return { ok: false, detail: (error as Error).message };
    }
  }

  /**
   * Polls the readiness path (/readyz) until a probe passes, like a readiness probe gating the
   * endpoint (quicker than the manifest's period, so a cluster starts in seconds). Rejects if the
   * process exits first or the timeout passes (the log tail is in the message).
   */
  async waitUntilReady(opts: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {}): Promise<number> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      opts.signal?.throwIfAborted();
      if (this.exit) throw new Error(`${this.name} exited (code ${this.exit.code}, signal ${this.exit.signal}) before it was ready; log ${this.logFile}:\n${this.logTail()}`);
      const probe = await this.probeReadiness(1000);
      if (probe.ok) return Date.now();
      last = probe.detail;
      await sleep(opts.intervalMs ?? 100);
    }
    throw new Error(`${this.name} was not ready within ${opts.timeoutMs ?? 60_000} ms (${last}); log ${this.logFile}:\n${this.logTail()}`);
  }

  /**
   * SIGTERM, then SIGKILL if the process is still alive when `deadlineMs` (an epoch time) passes.
   * Resolves with the exit.
   */
  async terminate(deadlineMs: number): Promise<ReplicaExit> {
    this.signal('SIGTERM');
    const remaining = Math.max(0, deadlineMs - Date.now());
    const timer = setTimeout(() => this.signal('SIGKILL'), remaining);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
