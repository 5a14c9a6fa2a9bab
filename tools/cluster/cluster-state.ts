// <runDir>/cluster.json: what the CLI's supervisor runs (pids, ports, URLs, status), written by the
// supervisor on every change and read by `up`, `status` and `down` — the only channel between the
// detached supervisor and the commands. Written to a temporary file and renamed, so a reader never
// sees half a state.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, ClusterObservability, ReplicaInfo, Routing, ServiceName } from './types.ts';

export interface ClusterState {
  status: 'starting' | 'running' | 'stopping' | 'failed';
  error?: string;
  supervisorPid: number;
  startedAt: string;
  updatedAt: string;
  runDir: string;
  ingressUrl?: string;
  ingress?: Cluster['ingress'];
  services: ServiceName[];
  routing: Routing;
  stateStore: 'shared' | 'memory';
  replicas: (ReplicaInfo & { url: string })[];
  /** Jaeger and Prometheus (unless OBSERVABILITY=0) */
  observability?: ClusterObservability;
  supervisorLog: string;
  events: string;
}

export class StateFile {
  readonly path: string;

  constructor(runDir: string) {
    this.path = join(runDir, 'cluster.json');
  }

  /** The state, or null when there is none (or it cannot be read: treated as no cluster). */
  read(): ClusterState | null {
    if (!existsSync(this.path)) return null;
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as ClusterState;
    } catch {
      return null;
    }
  }

  write(state: ClusterState): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`);
    renameSync(tmp, this.path);
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}

/** Where the supervisor logs (the replicas log beside it, logs/<name>.log). */
export function supervisorLogOf(runDir: string): string {
  return join(runDir, 'logs', 'supervisor.log');
}
