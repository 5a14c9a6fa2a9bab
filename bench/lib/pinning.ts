// Two cores, two sides: the load generator must not take CPU time from the server it measures,
// or a faster server and a slower generator look the same. On two or more CPUs what is measured
// — the service's replicas, the Ingress's nginx or the gateway, the pods, the hello-world — gets
// CPU 0; the load generator and the data stores (Postgres, Redis) get the others, so a route's
// figure is its replica's own cost, as the hello-world's is. With taskset (util-linux); on one CPU
// nothing is pinned, and the output says so.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { childProcesses } from '@anypod/tools/cluster/process-utils.ts';

export type Side = 'servers' | 'load';

export interface Pinning {
  /** CPU lists in taskset's syntax, or undefined when nothing is pinned */
  servers: string | undefined;
  load: string | undefined;
  /** the sentence the output prints */
  describe: string;
}

export function planPinning(cpus = availableParallelism()): Pinning {
  if (cpus < 2) {
    return { servers: undefined, load: undefined, describe: 'not pinned: this machine has one CPU, so the load generator and the servers share it (the ratios still compare runs made the same way)' };
  }
  const load = cpus === 2 ? '1' : `1-${cpus - 1}`;
  return {
    servers: '0',
    load,
    describe: `what is measured (replicas, nginx, the hello-world; on Kubernetes the service pods and the gateway) on CPU 0; the load generator (autocannon) and the data stores (Postgres, Redis/Valkey) on CPU ${load} — taskset -c for what the bench starts, taskset -a -p -c <pid> for what was already running`,
  };
}

/** argv prefixed so the command runs on one side's CPUs (unchanged when nothing is pinned). */
export function pinnedArgv(pinning: Pinning, side: Side, argv: string[]): string[] {
  const cpus = pinning[side];
  return cpus === undefined ? argv : ['taskset', '-c', cpus, ...argv];
}

/**
 * Moves a running process, every thread of it, to one side's CPUs. Children it starts later
 * inherit the mask; children it already has do not (pin those by their own PIDs). False when the
 * process has exited meanwhile.
 */
export function pinProcess(pinning: Pinning, pid: number, side: Side = 'servers'): boolean {
  const cpus = pinning[side];
  // taskset -a succeeds on a PID that does not exist (no threads to move): look first.
  if (!existsSync(`/proc/${pid}`)) return false;
  if (cpus === undefined) return true;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch (error) {
    if (!existsSync(`/proc/${pid}`)) return false; // gone meanwhile: nothing left to pin
    throw error;
  }
}

/** A process and every descendant it has now (Postgres' backends, nginx's workers), pinned. */
export function pinTree(pinning: Pinning, pid: number, side: Side): void {
  pinProcess(pinning, pid, side);
  for (const child of childProcesses(pid)) pinTree(pinning, child, side);
}

/** The CPUs a process may run on now, as taskset prints them (for the output and the tests). */
export function affinityOf(pid: number): string {
  return execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' }).split(':').pop()!.trim();
}
