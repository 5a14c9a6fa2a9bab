// One long-running helper process (Prometheus, Jaeger): started with its output in a log file,
// waited on until it says it is ready, stopped by its pid. Nothing here knows what the process is.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { aliveAs, isAlive, signalGroup, tail, withParentDeathSignal } from '../cluster/process-utils.ts';

export interface DaemonSpec {
  /** a short name for messages: `prometheus`, `jaeger` */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  /** default: this process's environment */
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here */
  logFile: string;
  /**
   * Keep running after this process exits (a CLI that starts a stack and returns). Default false:
   * the daemon gets a parent-death signal and is killed from an exit handler, like the replicas.
   */
  outlive?: boolean;
}

/** The outcome of one readiness check: true when ready, else what was seen (for the error message). */
export type ReadyCheck = () => Promise<true | string>;

// Daemons of this process that must not outlive it, SIGKILLed synchronously at exit if stop() never ran.
const owned = new Set<Daemon>();
let exitHandler = false;

export class Daemon {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** resolves once, when the process has exited */
  readonly exited: Promise<void>;
  private exitedWith: string | null = null;
  private readonly child: ChildProcess;

  private constructor(spec: DaemonSpec, child: ChildProcess) {
    this.name = spec.name;
    this.logFile = spec.logFile;
    this.child = child;
    this.pid = child.pid as number;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitedWith = signal ? `signal ${signal}` : `code ${code}`;
        owned.delete(this);
        resolve();
      }),
    );
  }

  static start(spec: DaemonSpec): Daemon {
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const fd = openSync(spec.logFile, 'a');
    writeSync(fd, `# ${new Date().toISOString()} ${spec.command} ${spec.args.join(' ')}\n`);
    try {
      const [command, args] = spec.outlive ? [spec.command, spec.args] : withParentDeathSignal(spec.command, spec.args, 'SIGTERM');
      // Its own process group: stop() reaches anything it starts, and a terminal's Ctrl-C does not.
      const child = spawn(command, args, { cwd: spec.cwd, env: spec.env ?? process.env, stdio: ['ignore', fd, fd], detached: true });
      if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
      const daemon = new Daemon(spec, child);
      if (spec.outlive) child.unref();
      else {
        owned.add(daemon);
        if (!exitHandler) {
          process.on('exit', () => {
            for (const d of owned) d.killNow();
          });
          exitHandler = true;
        }
      }
      return daemon;
    } finally {
      closeSync(fd);
    }
  }

  get running(): boolean {
    return this.exitedWith === null && isAlive(this.pid);
  }

  /** Polls `check` until it reports ready; throws with the log's tail if the process exits or the time is up. */
  async waitUntilReady(check: ReadyCheck, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitedWith !== null) throw new Error(`${this.name} exited (${this.exitedWith}) before it was ready; ${this.logFile}:\n${tail(this.logFile)}`);
      const last = await check().catch((error: Error) => error.message);
      if (last === true) return;
      if (Date.now() > deadline) throw new Error(`${this.name} was not ready within ${timeoutMs} ms (${last}); ${this.logFile}:\n${tail(this.logFile)}`);
      await sleep(100);
    }
  }

  /** SIGTERM to its group, SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exitedWith === null) {
      signalGroup(this.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    owned.delete(this);
  }

  /** For exit handlers: synchronous, no waiting. */
  killNow(): void {
    if (this.exitedWith === null) signalGroup(this.pid, 'SIGKILL');
  }
}

/** What every started helper hands its owner (JaegerProcess and PrometheusProcess extend it). */
export interface RunningDaemon {
  readonly pid: number;
  /** the config file it was started with (written by its module, rewritten on every start) */
  readonly configPath: string;
  readonly logFile: string;
  stop(): Promise<void>;
  killNow(): void;
}

/**
 * Starts a daemon and resolves once `check` reports it ready (30 s unless `timeoutMs`); a daemon
 * that never gets there is stopped before the error is thrown, so no caller leaks one.
 */
export async function startWhenReady(spec: DaemonSpec & { configPath: string }, check: ReadyCheck, timeoutMs = 30_000): Promise<RunningDaemon> {
  const daemon = Daemon.start(spec);
  try {
    await daemon.waitUntilReady(check, timeoutMs);
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  return {
    pid: daemon.pid,
    configPath: spec.configPath,
    logFile: spec.logFile,
    stop: () => daemon.stop(),
    killNow: () => daemon.killNow(),
  };
}

/**
 * Stops a recorded daemon by pid from another process (`make down`): SIGTERM to its group, SIGKILL
 * after `graceMs`. Only if the pid still runs `pattern`. Resolves true if it was running.
 */
export async function stopRecorded(pid: number | undefined, pattern: RegExp, graceMs = 10_000): Promise<boolean> {
  if (!aliveAs(pid, pattern)) return false;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  return true;
}
