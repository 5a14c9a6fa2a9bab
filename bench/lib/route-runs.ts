// The routes measured the same way on every path: each scenario loaded on one instance directly
// (a replica, a pod), then through the front the users go through (the local Ingress, the real
// controller), and the two rows with the front's ratio to direct. The local and the Kubernetes
// stages differ only in where they point and in what they watch while the load runs.
import type { ServiceName } from '@anypod/tools/cluster/types.ts';
import type { BenchContext } from './context.ts';
import { serviceOfPath } from './local-cluster.ts';
import { runLoad } from './load.ts';
import { figure, loadFigures, ratio, type Measurement } from './results.ts';
import { prepareRouteScenarios, routeNote } from './scenarios.ts';

/** One instance of a service to load directly: its address and, for the log, what it is. */
export interface DirectTarget {
  url: string;
  name: string;
}

export interface RoutePaths<T extends DirectTarget> {
  /** the log lines' prefix: 'routes', 'kube routes' */
  stage: string;
  /** the direct rows' `via`, and the instance of a service they load */
  direct: { via: string; target: (service: ServiceName) => T };
  /** the front's rows' `via` and address; scenarios are prepared through it as well */
  front: { via: string; url: string };
  /**
   * What to watch while a scenario's load runs (memory, the kubelet's stats): started before the
   * direct run (`from: 'direct'`) or the front's, stopped after the front's.
   */
  watch?: { from: 'direct' | 'front'; start: (service: ServiceName, target: T) => { stop: () => unknown } };
}

export async function measureRoutes<T extends DirectTarget>(ctx: BenchContext, paths: RoutePaths<T>): Promise<Measurement[]> {
  const measurements: Measurement[] = [];
  const scenarios = await prepareRouteScenarios(ctx, paths.front.url);
  for (const scenario of scenarios) {
    const service = serviceOfPath(scenario.load.requests[0]!.path);
    const target = paths.direct.target(service);
    const run = (baseUrl: string) => runLoad({ baseUrl, ...scenario.load, durationS: ctx.durationS, warmupS: ctx.warmupS, connections: ctx.connections }, ctx.pinning);
    const watch = (from: 'direct' | 'front') => (paths.watch?.from === from ? paths.watch.start(service, target) : undefined);
    ctx.log(`${paths.stage}: ${scenario.subject} — ${paths.direct.via} (${target.name}), ${ctx.durationS} s`);
    const watchingBoth = watch('direct');
    const direct = await run(target.url);
    ctx.log(`${paths.stage}: ${scenario.subject} — ${paths.front.via} (${paths.front.url}), ${ctx.durationS} s`);
    const watchingFront = watch('front');
    const front = await run(paths.front.url);
    await (watchingBoth ?? watchingFront)?.stop();
    measurements.push(
      { section: 'routes', subject: scenario.subject, via: paths.direct.via, figures: loadFigures(direct, ctx.limit), note: routeNote(scenario, direct) },
      { section: 'routes', subject: scenario.subject, via: paths.front.via, figures: { ...loadFigures(front, ctx.limit), 'of direct': figure(ratio(front.rps, direct.rps), 'ratio') }, note: routeNote(scenario, front) },
    );
  }
  return measurements;
}
