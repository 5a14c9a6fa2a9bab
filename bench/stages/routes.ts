// Per route, on one replica directly and through the local Ingress (nginx, 3 replicas per
// service, the chart's settings from k8s/): requests/s, p50, p99, each as a ratio to the limit;
// and each service's replica RSS idle and under that load.
import type { BenchContext } from '../lib/context.ts';
import { oneReplica, serviceOfPath, withLocalCluster } from '../lib/local-cluster.ts';
import { runLoad } from '../lib/load.ts';
import { figure, loadFigures, ratio, type Measurement } from '../lib/results.ts';
import { rssMiB, sampleRss } from '../lib/rss.ts';
import { prepareRouteScenarios, routeNote } from '../lib/scenarios.ts';

export const LOCAL_DIRECT = 'one replica, direct';
export const LOCAL_INGRESS = 'local Ingress, 3 replicas';

export async function routesStage(ctx: BenchContext): Promise<Measurement[]> {
  return withLocalCluster(ctx, { replicas: 3 }, async (cluster) => {
    const measurements: Measurement[] = [];
    const scenarios = await prepareRouteScenarios(ctx, cluster.ingressUrl);
    const idle = new Map<string, number>();
    const underLoad = new Map<string, number>();
    for (const scenario of scenarios) {
      const service = serviceOfPath(scenario.load.requests[0]!.path);
      const replica = oneReplica(cluster, service);
      if (!idle.has(service)) idle.set(service, rssMiB(replica.pid) ?? Number.NaN);
      const run = (baseUrl: string) => runLoad({ baseUrl, ...scenario.load, durationS: ctx.durationS, warmupS: ctx.warmupS, connections: ctx.connections }, ctx.pinning);
      ctx.log(`routes: ${scenario.subject} — ${LOCAL_DIRECT} (${replica.name}), ${ctx.durationS} s`);
      const rss = sampleRss(() => cluster.replicas(service).map((r) => r.pid));
      const direct = await run(replica.url);
      ctx.log(`routes: ${scenario.subject} — ${LOCAL_INGRESS}, ${ctx.durationS} s`);
      const ingress = await run(cluster.ingressUrl);
      const peaks = rss.stop();
      underLoad.set(service, Math.max(underLoad.get(service) ?? 0, ...peaks.perPid.values()));
      measurements.push(
        { section: 'routes', subject: scenario.subject, via: LOCAL_DIRECT, figures: loadFigures(direct, ctx.limit), note: routeNote(scenario, direct) },
        { section: 'routes', subject: scenario.subject, via: LOCAL_INGRESS, figures: { ...loadFigures(ingress, ctx.limit), 'of direct': figure(ratio(ingress.rps, direct.rps), 'ratio') }, note: routeNote(scenario, ingress) },
      );
    }
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
