// Small process and HTTP helpers shared by the replica, the Ingress and the CLI.
import { existsSync, openSync, readSync, closeSync, fstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';

/** A port that was free a moment ago on 127.0.0.1 (the usual, small race is accepted). */
export { freePort } from '@anypod/platform/local-infra';

/**
 * One GET on a fresh connection (no keep-alive: a probe must not hold a socket that would make
 * the replica's close() wait). Resolves with the status and body, rejects on any network error
 * or when the whole exchange takes longer than `timeoutMs` (a deadline, like a probe's
 * timeoutSeconds, not an idle timeout: an answer trickled byte by byte fails too).
 */
export function httpGet(url: string, timeoutMs = 1000): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = () => {
      settled = true;
      clearTimeout(deadline);
    };
    const req = request(url, { method: 'GET', agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        settle();
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
      res.on('error', fail);
    });
    // Judged after the I/O that is already waiting has been read (setImmediate runs after the
    // poll phase): this process's own stalls must not count against the server. The kubelet
    // probes from a process of its own; here the prober shares its event loop with a test or
    // the proof's load driver, and when a busy loop wakes, its timers run before its sockets
    // are read — an answer that had arrived in time would be counted as a timeout.
    const deadline = setTimeout(() => setImmediate(() => settled || req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`))), timeoutMs);
    function fail(error: Error): void {
      settle();
      reject(error);
    }
    req.on('error', fail);
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

/** The processes whose parent is `pid` (from /proc; an nginx master's workers). */
export function childProcesses(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name in parentheses may hold spaces: the fields after it are fixed.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The inodes of the TCP sockets listening on 127.0.0.1:`port` (/proc/net/tcp, state 0A = LISTEN). */
export function listeningSockets(port: number): Set<string> {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === local && fields[3] === '0A' && fields[9]) inodes.add(fields[9]);
  }
  return inodes;
}

/** Whether process `pid` holds one of these sockets (by inode) open; false once it is gone. */
export function holdsSocket(pid: number, inodes: ReadonlySet<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      return inodes.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
    } catch {
      return false;
    }
  });
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
