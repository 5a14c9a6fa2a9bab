// The PromQL every dashboard is made of, written once: which series belong to the selected
// services (labels from Prometheus' discovery, never from the app: README "Labels"),
// and the few shapes of query the panels repeat (a per-pod rate, a share of a subset, a quantile).
// Dashboards select with `namespace` and `container` and group by `pod` / `container`; they never
// use `job`, `instance` or `service`, which differ between a user's Prometheus operator, the
// chart's own Prometheus and the local cluster.

import { FAMILIES } from '@anypod/platform/anypod-metrics';

/** The label matchers of the dashboard variables: every selector carries both. */
export const SCOPE = 'namespace=~"$namespace", container=~"$service"';

/** Routes that are not user traffic: the kubelet's probes and Prometheus' scrapes. */
export const NOT_USER_TRAFFIC = 'route!~"/healthz|/readyz|/metrics"';

/** The series names a family exposes: a histogram's buckets, count and sum; a counter or gauge's own name. */
const seriesOf = (family: { name: string; type: string }): string[] =>
  family.type === 'histogram' ? ['_bucket', '_count', '_sum'].map((suffix) => `${family.name}${suffix}`) : [family.name];

/**
 * Every metric a dashboard may query, by where it comes from: the services' own families (declared
 * once, in packages/platform/src/anypod-metrics.ts); `up`, Prometheus' own per target; the
 * prom-client defaults every service exposes; cAdvisor's, from the kubelet, which every Kubernetes
 * with a Prometheus scrapes but the local cluster has not.
 */
export const METRICS = {
  service: Object.values(FAMILIES).flatMap(seriesOf),
  prometheus: ['up'],
  processDefaults: ['process_start_time_seconds', 'nodejs_eventloop_lag_p99_seconds'],
  cadvisor: ['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes'],
} as const;

export type MetricSource = keyof typeof METRICS;

/** `metric{namespace=~"$namespace", container=~"$service"[, extra]}` */
export function sel(metric: string, ...extra: string[]): string {
  return `${metric}{${[SCOPE, ...extra].join(', ')}}`;
}

/** `sum by (labels) (rate(selector[$__rate_interval]))` */
export function sumRate(by: string[], selector: string, window = '$__rate_interval'): string {
  return `sum by (${by.join(', ')}) (rate(${selector}[${window}]))`;
}

/** `sum by (labels) (increase(selector[$__range]))`: counts over the dashboard's time range. */
export function sumIncrease(by: string[], selector: string): string {
  return `sum by (${by.join(', ')}) (increase(${selector}[$__range]))`;
}

/**
 * The share of a subset in a whole, per group: `subset / whole`. When the subset has no series
 * at all (no 5xx ever, a label value never seen) the division would be empty instead of 0, so the
 * subset falls back to the whole times zero.
 */
export function share(subset: string, whole: string): string {
  return `(${subset} or ${whole} * 0) / ${whole}`;
}

/** A quantile of a histogram over the selector's buckets, per group. */
export function quantile(q: number, by: string[], bucketSelector: string): string {
  return `histogram_quantile(${q}, sum by (${[...by, 'le'].join(', ')}) (rate(${bucketSelector}[$__rate_interval])))`;
}

/** User requests per pod and service per second: the load each pod carries. */
export const REQUESTS_PER_POD = sumRate(['container', 'pod'], sel('http_requests_total', NOT_USER_TRAFFIC));
