// Per route, on one replica directly and through the local Ingress (nginx, 3 replicas per
// service, the chart's settings from k8s/): requests/s, p50, p99, each as a ratio to the limit;
// and each service's replica RSS idle and under that load.
import type { BenchContext } from '../lib/context.ts';
import { oneReplica, withLocalCluster } from '../lib/local-cluster.ts';
import { figure, type Measurement } from '../lib/results.ts';
import { measureRoutes } from '../lib/route-runs.ts';
import { rssMiB, sampleRss } from '../lib/rss.ts';

export const LOCAL_DIRECT = 'one replica, direct';
export const LOCAL_INGRESS = 'local Ingress, 3 replicas';

export async function routesStage(ctx: BenchContext): Promise<Measurement[]> {
  return withLocalCluster(ctx, { replicas: 3 }, async (cluster) => {
    const idle = new Map<string, number>();
    const underLoad = new Map<string, number>();
    const measurements = await measureRoutes(ctx, {
      stage: 'routes',
      direct: { via: LOCAL_DIRECT, target: (service) => oneReplica(cluster, service) },
      front: { via: LOCAL_INGRESS, url: cluster.ingressUrl },
      // Each service's replicas' RSS: idle before its first run, the peak over both runs.
      watch: {
        from: 'direct',
        start: (service, replica) => {
          if (!idle.has(service)) idle.set(service, rssMiB(replica.pid) ?? Number.NaN);
          const rss = sampleRss(() => cluster.replicas(service).map((r) => r.pid));
          return { stop: () => underLoad.set(service, Math.max(underLoad.get(service) ?? 0, ...rss.stop().perPid.values())) };
        },
      },
    });
    for (const [service, idleMiB] of idle) {
      measurements.push({
        section: 'footprint',
        subject: `${service} replica`,
        via: 'process',
        figures: { 'RSS idle': figure(idleMiB, 'MiB'), 'RSS under load': figure(underLoad.get(service) ?? Number.NaN, 'MiB') },
        note: 'idle: after start-up and before any load; under load: the largest of its replicas during the route runs',
      });
    }
    return measurements;
  });
}
