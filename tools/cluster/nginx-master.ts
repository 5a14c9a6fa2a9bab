// One nginx master we started (never the system's nginx or /etc/nginx): its own prefix, config,
// pid, logs and temp folders; a config is written only once `nginx -t` accepts it; foreground
// master in its own process group, reload (SIGHUP), graceful quit. The Ingress (nginx.ts) runs two.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { signalGroup, tail, withParentDeathSignal } from './process-utils.ts';

const execFileAsync = promisify(execFile);

export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

/** One nginx master we started: written config, foreground master, reload, quit. */
export class NginxMaster {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  readonly confPath: string;
  readonly errorLog: string;

  constructor(readonly dir: string) {
    this.confPath = join(dir, 'nginx.conf');
    this.errorLog = join(dir, 'error.log');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Writes the config after `nginx -t` accepted it (a bad render never replaces a good one). */
  async write(text: string): Promise<void> {
    mkdirSync(join(this.dir, 'tmp'), { recursive: true });
    const candidate = `${this.confPath}.next`;
    writeFileSync(candidate, text);
    try {
      await execFileAsync(NGINX_BIN, ['-t', '-q', '-p', this.dir, '-c', candidate, '-e', this.errorLog]);
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`nginx rejected the generated config ${candidate}: ${e.stderr?.trim() || e.message}`, { cause: error });
    }
    renameSync(candidate, this.confPath);
  }

  start(): void {
    const out = openSync(join(this.dir, 'nginx.out'), 'a');
    try {
      const [command, args] = withParentDeathSignal(NGINX_BIN, ['-p', this.dir, '-c', this.confPath, '-e', this.errorLog], 'SIGTERM');
      // Own process group: the final SIGKILL reaches the workers too, even if the master is gone.
      this.child = spawn(command, args, { stdio: ['ignore', out, out], detached: true });
    } finally {
      closeSync(out);
    }
    const child = this.child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Throws (with the error log) if the master has exited. */
  assertRunning(): void {
    if (!this.running) throw new Error(`nginx (${this.dir}) exited with ${this.child?.exitCode ?? this.child?.signalCode}; ${this.errorLog}:\n${tail(this.errorLog)}`);
  }

  reload(): void {
    this.assertRunning();
    process.kill(this.child?.pid as number, 'SIGHUP');
  }

  /** Graceful quit (in-flight requests finish), then SIGTERM, then SIGKILL to the group. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    if (this.running) {
      signalGroup(pid, 'SIGQUIT');
      const quit = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
      if (!quit) {
        signalGroup(pid, 'SIGTERM');
        await Promise.race([this.exited, sleep(2000)]);
      }
    }
    // Workers normally leave with the master; make sure, since they hold the listening socket.
    signalGroup(pid, 'SIGKILL');
    await this.exited;
  }

  killNow(): void {
    if (this.child?.pid !== undefined && this.running) signalGroup(this.child.pid, 'SIGKILL');
  }
}
