// What tracing and metrics cost: the catalog's cached GET on one replica with both on — traces
// exported to a real Jaeger, metrics recorded and scraped by a real Prometheus — and with both
// off, interleaved (off, on, off, on) so a drifting machine shifts both sides alike.
import type { BenchContext } from '../lib/context.ts';
import { oneReplica, withLocalCluster } from '../lib/local-cluster.ts';
import { runLoad } from '../lib/load.ts';
import { median } from '@anypod/tools/build/stats.ts';
import { figure, loadFigures, ratio, type LoadFigures, type Measurement } from '../lib/results.ts';
import { cachedProductGet, productsInStock } from '../lib/scenarios.ts';

const SETTINGS = {
  // Tracing is off without an OTLP endpoint (packages/platform/src/telemetry.ts); metrics by METRICS_ENABLED.
  off: { env: { METRICS_ENABLED: 'false' } },
  // Spans are exported every second (not the SDK's 5 s), Prometheus scrapes every 5 s: at least what users run.
  on: { env: { OTEL_BSP_SCHEDULE_DELAY: '1000' }, observability: { prometheusPort: 0, jaegerPort: 0, otlpPort: 0, scrapeIntervalSeconds: 5 } },
} as const;

export async function telemetryStage(ctx: BenchContext): Promise<Measurement[]> {
  const rounds = ctx.quick ? 1 : 2;
  const runs: Record<'on' | 'off', LoadFigures[]> = { on: [], off: [] };
  for (let round = 1; round <= rounds; round++) {
    for (const side of ['off', 'on'] as const) {
      ctx.log(`telemetry: tracing + metrics ${side}, round ${round}/${rounds}, ${ctx.durationS} s`);
      runs[side].push(await withLocalCluster(ctx, { services: ['catalog'], replicas: 1, ...SETTINGS[side] }, async (cluster) => {
        const replica = oneReplica(cluster, 'catalog');
        const scenario = cachedProductGet((await productsInStock(replica.url))[0]!);
        return runLoad({ baseUrl: replica.url, ...scenario.load, durationS: ctx.durationS, warmupS: ctx.warmupS, connections: ctx.connections }, ctx.pinning);
      }));
    }
  }
  /** the run at the middle by req/s (the lower middle of an even count): its latencies are shown */
  const middle = (side: 'on' | 'off'): LoadFigures => runs[side].toSorted((a, b) => a.rps - b.rps)[Math.floor((runs[side].length - 1) / 2)]!;
  const rps = { on: median(runs.on.map((r) => r.rps)), off: median(runs.off.map((r) => r.rps)) };
  const note = `median req/s of ${rounds} run${rounds > 1 ? 's' : ''} each, interleaved; latencies of the middle one`;
  return [
    { section: 'telemetry', subject: 'catalog cached GET, tracing + metrics off', via: 'one replica, direct', figures: { ...loadFigures({ ...middle('off'), rps: rps.off }, ctx.limit) }, note },
    { section: 'telemetry', subject: 'catalog cached GET, tracing + metrics on', via: 'one replica, direct', figures: { ...loadFigures({ ...middle('on'), rps: rps.on }, ctx.limit), cost: figure(1 - ratio(rps.on, rps.off), 'ratio') }, note: `${note}; cost = 1 − on/off` },
  ];
}
