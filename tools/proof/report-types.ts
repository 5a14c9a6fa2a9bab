// The shape of out/proof/report.json. The fields named in ../shared/docs/architecture.md
// ("The proof") are the contract; the series feed the charts in report.html.

// report.json holds numbers and identifiers; the words a reader sees (check names, sentences)
// belong to the rendering (words.ts), so a producer or a test never depends on phrasing.
import type { KillType, Routing, StateStore } from '../cluster/types.ts';
import type { CheckId } from './checks.ts';

export type { KillType, Routing };
/** where a run keeps its state: the shared stores (stateless) or process memory (stateful) */
export type Mode = StateStore;

export interface KillEvent {
  /** ms since the run started */
  atMs: number;
  kind: KillType;
  /** replica deleted, e.g. cart-7f3k */
  replica: string;
  /** replica that replaced it */
  replacement?: string;
}

export interface RunReport {
  name: string; // e.g. "stateless-graceful"
  mode: Mode;
  kill: KillType;
  routing: Routing;
  durationMs: number;
  virtualUsers: number;
  kills: number;
  killEvents: KillEvent[];
  attempts: { total: number; failed: number; duringKills: number; failedDuringKills: number };
  operations: { total: number; acknowledged: number; failed: number; indeterminate: number };
  writes: { attempted: number; acknowledged: number; lost: number; unexpected: number; duplicated: number; recovered: number };
  quantityBoundViolations: number;
  sessions: { total: number; minDistinctPods: number; maxDistinctPods: number; lostSessions: number };
  /**
   * What the run's traces say about its sessions, read from Jaeger right after the run (see
   * RunTraces). Per run, like `sessions`: each run has its own users, time window and mode.
   * Always set by the proof; absent only in reports written before it (an older baseline).
   */
  traces?: RunTraces;
  /** p99DuringKills / p99OutsideKills: attempts overlapping a deletion's window, and all the others */
  latencyMs: { p50: number; p99: number; p99DuringKills: number; p99OutsideKills: number };
  /** requests per replica per time bucket (for the stacked chart) */
  timeline: { bucketMs: number; buckets: Array<{ atMs: number; byReplica: Record<string, number>; failed: number; p50: number; p99: number }> };
  /** checks this run must meet, and whether it did */
  checks: Check[];
  /** examples of anomalies found by the checker (a few, for the reader) */
  anomalies: Array<{ type: 'lost' | 'unexpected' | 'duplicated' | 'quantity' | 'session'; user: string; detail: string }>;
  /** whether this run is expected to pass (stateless) or to demonstrate a failure (stateful) */
  expectation: 'pass' | 'demonstrates-failure';
  pass: boolean;
  /**
   * Who measured the run when it was not the proof's own driver (make demo, make demo-kube), and
   * what that producer could not see. Absent for the proof's runs, which measure everything.
   */
  source?: RunSource;
}

/**
 * A run measured by k6 (tools/proof/k6-run.ts): from its handleSummary JSON and its `--out json`
 * time series. k6 sees only what its virtual users send and receive, aggregated per metric, so
 * some of RunReport's fields cannot be measured; each such gap is listed in `notMeasured`, and
 * the fields it covers hold 0 (or [] / a placeholder) only because the type requires a value:
 * readers must treat them as unknown, never as a measured zero.
 */
export interface RunSource {
  producer: 'k6';
  notMeasured: NotMeasured[];
  /** every threshold of the run with k6's own verdict; they are the run's SLOs */
  thresholds: K6Threshold[];
  /** distinct pods that served one virtual user's session, per service (`anypod_pods_per_session`); '' when untagged */
  podsPerSession: Record<string, { sessions?: number; min: number; max: number }>;
  /** custom metrics (LOAD_METRICS, @anypod/scenarios) the run did not emit: checks that need them are left out */
  missingMetrics: string[];
  iterations: number;
  /** users whose own read-back was checked (`anypod_users_checked`) */
  usersChecked: number;
  /** the files the run was read from, as given */
  files: { summary: string; timeseries?: string };
}

/**
 * What a k6 run cannot show:
 * - deletions: k6 does not know when pods were deleted or which (kill, kills, killEvents);
 * - attempts-during-deletions: hence neither attempts.duringKills/failedDuringKills nor latencyMs.p99DuringKills;
 * - routing: how the cluster spread requests is the cluster's, not k6's (RunReport.routing is a placeholder);
 * - cross-user-history: each virtual user checks only its own writes (VUs share no memory), so no
 *   check over every user's history together, and no anomaly examples (anomalies is empty);
 * - traces: k6 reads no Jaeger;
 * - comparison: one run per report, so no stateless-vs-stateful comparison;
 * - timeline, operations-by-outcome: only with the time series (the summary aggregates them away);
 * - latency-p99: without the time series, only when the summary's trend stats include p(99).
 */
export type NotMeasured =
  | 'deletions'
  | 'attempts-during-deletions'
  | 'routing'
  | 'cross-user-history'
  | 'traces'
  | 'comparison'
  | 'timeline'
  | 'operations-by-outcome'
  | 'latency-p99';

/** One k6 threshold: `expression` on `metric` (a submetric like `name{tag:value}` included). */
export interface K6Threshold {
  metric: string;
  expression: string;
  /** k6's verdict (the summary's `ok`) */
  ok: boolean;
  /** the aggregate the expression tests (count, rate, min, p(95), ...) as the summary gives it, when it does */
  value?: number;
}

export interface ProofReport {
  verdict: 'pass' | 'fail';
  generatedAt: string;
  machine: { node: string; cpus: number; replicasPerService: number; platform?: Platform };
  runs: RunReport[];
  /** the seed comparison, measured: numbers per side (absent when no run of that side was made) */
  comparison: Comparison;
  /** another report's runs to compare with (the Kubernetes proof carries the local cluster's last runs) */
  baseline?: { title: string; generatedAt: string; platform?: Platform; runs: RunReport[] };
}

/**
 * The server side's witness of "any pod serves any request" (tools/proof/traces.ts): a sample of
 * the run's user sessions from Jaeger, each session's traces of one service (cart: every write
 * goes there) grouped by the `session.id` span attribute, and the distinct `k8s.pod.name` values
 * of their spans — the pods themselves say they served the session, not a response header the
 * client read. Plus one trace crossing cart → catalog with its spans.
 *
 * Rule: a session is checked only when at least `minTracesPerSession` of its traces were read;
 * with fewer, one pod could be luck, so it is left out (counted in sessionsFound, not checked).
 * When nothing could be checked, sessionsChecked and both pod counts are 0 and `reason` says why;
 * never an estimate.
 */
export interface RunTraces {
  /** the service whose traces are grouped by session and whose pods are counted */
  service: string;
  /** the rule above */
  minTracesPerSession: number;
  /** distinct traces read from Jaeger for this run */
  tracesRead: number;
  /** sessions seen in those traces, checked or not */
  sessionsFound: number;
  sessionsChecked: number;
  /** the fewest distinct pods of `service` that served one checked session; 0 when none was checked */
  minDistinctPodsPerSession: number;
  /** the most; 0 when none was checked */
  maxDistinctPodsPerSession: number;
  /** the checked sessions: how many of their traces were read, and the pods in them (sorted) */
  sessions: Array<{ sessionId: string; traces: number; pods: string[] }>;
  /** one trace in which `service`'s request called catalog with sound parent/child links; absent when none was found */
  crossing?: TracedCall;
  /** Jaeger's UI and query API during the run; `<jaegerUrl>/trace/<traceId>` opens a trace while Jaeger still runs */
  jaegerUrl?: string;
  /** why no session was checked (absent when some were) */
  reason?: TraceGap;
  /** Jaeger's error, when it did not answer */
  error?: string;
}

/**
 * not-traced: the run had no Jaeger; jaeger-unreachable: Jaeger did not answer; no-traces: it
 * holds no trace of the service in the run's window; no-sessions: none of those traces carries a
 * session.id; too-few-traces: no session had enough traces to be checked.
 */
export type TraceGap = 'not-traced' | 'jaeger-unreachable' | 'no-traces' | 'no-sessions' | 'too-few-traces';

/** One call between services, shown span by span. */
export interface TracedCall {
  traceId: string;
  from: string;
  to: string;
  /** the session the trace belongs to, when it carries one */
  sessionId?: string;
  /** the trace's span count; `spans` may hold fewer */
  spanCount: number;
  /** depth-first from the root, children by start time; the spans of the call always among them */
  spans: TracedSpan[];
}

export interface TracedSpan {
  spanId: string;
  /** absent for the root */
  parentSpanId?: string;
  /** 0 for the root */
  depth: number;
  service: string;
  /** k8s.pod.name of the process that made it */
  pod?: string;
  /** Jaeger's operation name (the route template for server spans) */
  name: string;
  /** server | client | internal | producer | consumer */
  kind: string;
  /** ms after the trace's first span started */
  startMs: number;
  durationMs: number;
  /** on the path from the request's entry span down to the callee's server span */
  onPath: boolean;
}

/** Where the runs ran: the local cluster (replicas as processes behind nginx), or a real Kubernetes. */
export type Platform =
  | { kind: 'local' }
  | {
      kind: 'kubernetes';
      /** the API server's version, e.g. v1.35.4 */
      version: string;
      /** the nodes the pods ran on */
      nodes: string[];
      namespace: string;
      release: string;
      /** the chart version installed */
      chart: string;
      /** how requests reached the pods */
      routing: string;
    };

/** One check of a run: a measured value and the bounds it had to stay within. */
export interface Check {
  /** stable: tests and readers of report.json refer to checks by it */
  id: CheckId;
  actual: number;
  expected: { min?: number; max?: number };
  pass: boolean;
  /** what explains the value: counts by kind, an example operation, an error message */
  detail?: Record<string, number | string>;
}

/** The numbers behind the stateless-vs-stateful comparison, for one side. */
export interface ComparisonSide {
  runs: Array<{ name: string; routing: Routing; minPods: number; maxPods: number; missingReads: number; imbalance: number }>;
  sessions: { total: number; lost: number };
  deletions: number;
  /** replicas that replaced deleted ones: their share of all answers, and cart reads they answered without an acknowledged line */
  replacements: { count: number; answers: number; allAnswers: number; readsLackingLines: number };
  writes: { acknowledged: number; lost: number; duplicated: number; unexpected: number };
  /** operations that ended failed or indeterminate after their retries */
  operationsNotAcknowledged: number;
}

export interface Comparison {
  stateless?: ComparisonSide;
  stateful?: ComparisonSide;
}
