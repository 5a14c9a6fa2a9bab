// A local cluster (tools/cluster: replicas as processes behind nginx) started for one stage, with
// the pinning the bench promises: the replicas and nginx inherit the bench's own CPU (the servers'
// side); Postgres, Redis, Jaeger and Prometheus are moved to the load side. Stopped afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster, type ClusterOptions, type ServiceName } from '@anypod/tools/cluster/index.ts';
import type { BenchContext } from './context.ts';
import { pinTree } from './pinning.ts';
import { localStorePids } from './stores.ts';

/** Replica settings every bench cluster shares: the shoppers' many logins are not what is measured. */
const BENCH_ENV = { LOGIN_RATE_LIMIT_PER_MINUTE: '100000' };

export async function withLocalCluster<T>(ctx: BenchContext, options: ClusterOptions, use: (cluster: Cluster) => Promise<T>): Promise<T> {
  const runDir = mkdtempSync(join(tmpdir(), 'anypod-bench-'));
  const stores = localStorePids();
  pinTree(ctx.pinning, stores.postgres, 'load');
  pinTree(ctx.pinning, stores.redis, 'load');
  const cluster = await startCluster({ ingressPort: 0, handleSignals: true, ...options, env: { ...BENCH_ENV, ...options.env }, runDir });
  try {
    if (cluster.observability) {
      pinTree(ctx.pinning, cluster.observability.pids.jaeger, 'load');
      pinTree(ctx.pinning, cluster.observability.pids.prometheus, 'load');
    }
    // Backends Postgres started for the new replicas' pools inherit the postmaster's CPUs; pinned again to be sure.
    pinTree(ctx.pinning, stores.postgres, 'load');
    return await use(cluster);
  } finally {
    await cluster.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** The service a scenario's path belongs to (/catalog/..., /auth/..., /cart/...). */
export function serviceOfPath(path: string): ServiceName {
  const service = /^\/(auth|catalog|cart)(\/|$)/.exec(path)?.[1];
  if (!service) throw new Error(`no service serves ${path}`);
  return service as ServiceName;
}

/** The first replica of a service that is in rotation: the "one replica, direct" target. */
export function oneReplica(cluster: Cluster, service: ServiceName): { url: string; pid: number; name: string } {
  const replica = cluster.replicas(service).find((r) => r.inRotation);
  if (!replica) throw new Error(`no ${service} replica is in rotation`);
  return { url: `http://127.0.0.1:${replica.port}`, pid: replica.pid, name: replica.name };
}
