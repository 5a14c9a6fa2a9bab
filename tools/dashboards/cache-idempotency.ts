// Cache and idempotency: the shared state that lets any pod serve any request — the cache's hits
// and misses, checkout's idempotency keys (replays, conflicts, takeovers of a dead owner's key),
// cart's writes by outcome and catalog's stock reservations.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { buildDashboard, statPanel, timeSeries } from './panels.ts';
import { sel, share, sumIncrease, sumRate } from './promql.ts';

export function cacheIdempotencyDashboard(): dashboard.Dashboard {
  const cache = (result?: string) => sel('anypod_cache_requests_total', ...(result ? [`result=~"${result}"`] : []));
  const writes = (outcome?: string) => sel('anypod_cart_writes_total', ...(outcome ? [`outcome="${outcome}"`] : []));
  return buildDashboard({
    uid: 'anypod-cache-idempotency',
    title: 'anypod / Cache and idempotency',
    description: 'Cache hits and misses, idempotency replays, conflicts and takeovers, cart writes by outcome, stock reservations.',
    rows: [
      {
        title: 'Cache',
        panels: [
          timeSeries({
            title: 'Cache lookups by result',
            description: 'Lookups per second per cache: hit, miss, or bypass (the cache was not asked: unavailable or not applicable).',
            unit: 'ops',
            stacked: true,
            queries: [{ expr: sumRate(['container', 'cache', 'result'], cache()), legend: '{{container}} {{cache}} {{result}}' }],
          }),
          timeSeries({
            title: 'Cache hit ratio',
            description: 'Hits over hits and misses, per cache. A hit ratio that drops when a pod is replaced would mean the cache lived in the pod.',
            unit: 'percentunit',
            min: 0,
            queries: [{ expr: share(sumRate(['container', 'cache'], cache('hit')), sumRate(['container', 'cache'], cache('hit|miss'))), legend: '{{container}} {{cache}}' }],
          }),
          timeSeries({
            title: 'Postgres loads behind the cache',
            description: 'Loads from Postgres after a miss, per cache, once concurrent misses of one key are merged into one load: fewer loads than misses is the merging at work.',
            unit: 'ops',
            width: 24,
            queries: [{ expr: sumRate(['container', 'cache'], sel('anypod_cache_loads_total')), legend: '{{container}} {{cache}}' }],
          }),
        ],
      },
      {
        title: 'Idempotency',
        panels: [
          timeSeries({
            title: 'Idempotent requests by result',
            description: 'Requests with an Idempotency-Key: first, replay (the stored answer returned), conflict (same key, other body), takeover (a dead owner\'s key taken over), in_progress.',
            unit: 'reqps',
            stacked: true,
            queries: [{ expr: sumRate(['container', 'result'], sel('anypod_idempotency_requests_total')), legend: '{{container}} {{result}}' }],
          }),
          statPanel({
            title: 'Idempotent requests by result (time range)',
            description: 'Counts over the selected range. Replays and takeovers are retries that did not run twice.',
            unit: 'none',
            queries: [{ expr: sumIncrease(['result'], sel('anypod_idempotency_requests_total')), legend: '{{result}}' }],
          }),
        ],
      },
      {
        title: 'Cart writes and stock',
        panels: [
          timeSeries({
            title: 'Cart writes by operation and outcome',
            description: 'Writes per second: ok, rejected (the request was refused, e.g. no stock) or error (the write failed; the alert AnypodCartWritesFailing watches these).',
            unit: 'ops',
            stacked: true,
            queries: [{ expr: sumRate(['container', 'operation', 'outcome'], writes()), legend: '{{operation}} {{outcome}}' }],
          }),
          timeSeries({
            title: 'Cart write error ratio',
            description: 'Share of cart writes that failed with an error.',
            unit: 'percentunit',
            min: 0,
            queries: [{ expr: share(sumRate(['container'], writes('error')), sumRate(['container'], writes())), legend: '{{container}}' }],
          }),
          timeSeries({
            title: 'Stock reservations by event',
            description: 'Reservations created, committed (checkout completed), released (given back) and expired (their owner never came back).',
            unit: 'ops',
            queries: [{ expr: sumRate(['container', 'event'], sel('anypod_reservations_total')), legend: '{{container}} {{event}}' }],
          }),
          statPanel({
            title: 'Stock reservations by event (time range)',
            description: 'Counts over the selected range.',
            unit: 'none',
            queries: [{ expr: sumIncrease(['event'], sel('anypod_reservations_total')), legend: '{{event}}' }],
          }),
        ],
      },
    ],
  });
}
