// Small process and HTTP helpers shared by the replica, the Ingress and the CLI.
import { existsSync, openSync, readSync, closeSync, fstatSync, readFileSync } from 'node:fs';
import { request } from 'node:http';

/** A port that was free a moment ago on 127.0.0.1 (the usual, small race is accepted). */
export { freePort } from '@anypod/platform/local-infra';

/**
 * One GET on a fresh connection (no keep-alive: a probe must not hold a socket that would make
 * the replica's close() wait). Resolves with the status and body, rejects on any network error.
 */
export function httpGet(url: string, timeoutMs = 1000): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** True while a process with this pid exists (and is not a zombie we could still reap). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // A zombie (exited, not yet reaped by its parent) still answers kill(0).
    return !/\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Alive and still the program that was recorded (a pid can be reused once its process is gone). */
export function aliveAs(pid: number | undefined, pattern: RegExp): pid is number {
  return pid !== undefined && pid > 0 && isAlive(pid) && pattern.test(cmdline(pid));
}

/**
 * Sends a signal to the process group led by `pid` (every child we start leads its own group, so
 * this reaches anything it started too). False when the group is gone. Never signals a bare pid:
 * after an exit the pid may already belong to someone else.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The last `bytes` of a log file, for error messages. */
export function tail(path: string, bytes = 4000): string {
  if (!existsSync(path)) return '';
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, bytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** setpriv from util-linux, when present: used to give children a parent-death signal. */
export const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/**
 * The argv that runs `command` so that it receives `signal` when the thread that started it dies
 * (PR_SET_PDEATHSIG, kept across exec). Why: exit handlers cannot run when the runner itself is
 * SIGKILLed (a test runner timing out, an OOM kill); without this the replicas and nginx would
 * outlive it and keep their ports.
 */
export function withParentDeathSignal(command: string, args: string[], signal: NodeJS.Signals): [string, string[]] {
  if (!SETPRIV) return [command, args];
  return [SETPRIV, ['--pdeathsig', signal, '--', command, ...args]];
}
