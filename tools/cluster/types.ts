// The local cluster's public surface, shared by the runner (tools/cluster), the load driver and
// the proof. A "replica" is one service process with its own pod name, like a Pod.
import type { LocalObservability } from './observability.ts';

export type ServiceName = 'auth' | 'catalog' | 'cart';
/** Where the services keep state: Postgres/Redis (shared), or each process's memory (the stateful demonstration). */
export type StateStore = 'shared' | 'memory';
/**
 * How a replica is deleted. graceful: endpoint removal and the pre-stop sleep, SIGTERM, drain.
 * sigkill: no warning. hang: the replica stops answering (SIGSTOP) for longer than clients wait,
 * still in rotation, comes back (SIGCONT) and finishes what it had accepted — answering clients
 * that gave up and retried long ago — and is then deleted gracefully: the fault that shows
 * whether a retried write can land twice.
 * On Kubernetes (tools/kube): graceful is `kubectl delete pod`, force is
 * `kubectl delete pod --grace-period=0 --force`, and an `operations` run is a sequence of the
 * deletions a cluster sees in practice, each recorded with its own kind (OPERATION_KINDS).
 */
export type KillType = 'graceful' | 'sigkill' | 'hang' | 'force' | 'operations' | OperationKind;
/** The deletions of an `operations` run on Kubernetes, in the order it makes them. */
export const OPERATION_KINDS = ['valkey-delete', 'postgres-delete', 'rollout-restart', 'chart-downgrade', 'helm-upgrade'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];
/** The kinds the local cluster (processes) can carry out. */
export const LOCAL_KILLS: readonly KillType[] = ['graceful', 'sigkill', 'hang'];

/** How each kind of deletion is named in logs, tables and charts. */
export const KILL_LABELS: Record<KillType, { short: string; long: string }> = {
  graceful: { short: 'graceful', long: 'deleted gracefully (SIGTERM, drain)' },
  sigkill: { short: 'SIGKILL', long: 'killed with SIGKILL (no chance to finish in-flight requests)' },
  hang: { short: 'hang', long: 'hung (SIGSTOP) past the clients’ timeout, resumed to finish what it had accepted, then deleted gracefully' },
  force: { short: 'force', long: 'force-deleted (kubectl delete pod --grace-period=0 --force: gone from the API at once, no pre-stop wait)' },
  operations: { short: 'operations', long: 'disrupted by cluster operations (Valkey and Postgres pods deleted, kubectl rollout restart, helm upgrade from the previous chart version)' },
  'valkey-delete': { short: 'Valkey pod', long: 'the Valkey pod deleted (kubectl delete pod)' },
  'postgres-delete': { short: 'Postgres pod', long: 'the Postgres pod deleted (kubectl delete pod; its data stays on the volume)' },
  'rollout-restart': { short: 'rollout restart', long: 'every Deployment restarted (kubectl rollout restart)' },
  'chart-downgrade': { short: 'previous chart', long: 'the release moved to the previous chart version (helm upgrade to it, with this version’s images)' },
  'helm-upgrade': { short: 'helm upgrade', long: 'the release upgraded from the previous chart version to this one (helm upgrade)' },
};
export type Routing = 'round-robin' | 'sticky';

export interface ClusterOptions {
  /** replicas per service; default from k8s/ (the Deployment's replicas, or its HPA's minimum) */
  replicas?: number;
  /** STATE_STORE for every service: 'memory' is the stateful demonstration (default: what k8s/ sets) */
  stateStore?: StateStore;
  /** nginx balancing: round-robin, or sticky (hash of the Authorization header = the client) */
  routing?: Routing;
  /** ingress port on 127.0.0.1 (0 = pick a free one; default 8080, the cluster's own setting: local-env.ts) */
  ingressPort?: number;
  /** services to run (default all three) */
  services?: ServiceName[];
  /** extra env for every replica, over the manifest's (local-env.ts says the order) */
  env?: Record<string, string>;
  /**
   * Extra env for one replica, over `env`: called as each replica starts (replacements too) with
   * its service and name. A test gives one replica its own DATABASE_URL, through a TCP forwarder
   * it can cut, to make that replica alone unready.
   */
  envFor?: (replica: { service: ServiceName; name: string }) => Record<string, string> | undefined;
  /** the rendered manifests the settings come from (default: the repository's k8s/) */
  manifestsDir?: string;
  /** where logs and nginx config go */
  runDir?: string;
  /** progress lines (replica started, deleted, replaced) */
  onEvent?: (event: ClusterEvent) => void;
  /** apply each service's migrations before starting replicas (default true; see prepare.ts) */
  migrate?: boolean;
  /**
   * kill every child with SIGKILL when this process gets SIGINT/SIGTERM/SIGHUP (default true);
   * a process that stops the cluster gracefully on signals itself (the CLI) turns it off.
   * Children are always killed on process exit.
   */
  handleSignals?: boolean;
  /** how long a replica may take to answer its readiness probe (the manifest's path) with 200 (default 60 s) */
  readyTimeoutMs?: number;
  /** delay between a SIGKILL (or a crash) and the endpoint removal: the endpoint controller's lag (default 1000) */
  endpointLagMs?: number;
  /** how long a 'hang' deletion keeps the replica stopped: longer than clients wait for an answer (default 6000) */
  hangMs?: number;
  /**
   * A TypeScript entry file some service's replicas run instead of the production build
   * (dist/server.js), relative to its folder. Only the proof's mutation tests set it, to run a
   * deliberately broken service that lives in its test folder (never built, never shipped).
   */
  entries?: Partial<Record<ServiceName, string>>;
  /** `make dev`: replicas run the sources and restart themselves when their code changes (node --watch) */
  watch?: boolean;
  /**
   * Run with Jaeger and Prometheus (tools/observability; off by default): replicas export traces
   * to Jaeger, Prometheus scrapes every replica as it comes and goes. `make up` and `make demo` turn it on.
   */
  observability?: ObservabilitySettings;
}

export interface ObservabilitySettings {
  /**
   * A stack already running (startLocalObservability) to report to, left running when the cluster
   * stops: the proof shares one over its runs. Default: the cluster starts its own in
   * <runDir>/observability and stops it last.
   */
  stack?: LocalObservability;
  /** Prometheus on 127.0.0.1 (default 9090; 0 = a free port) */
  prometheusPort?: number;
  /** Jaeger's UI and query API on 127.0.0.1 (default 16686; 0 = a free port) */
  jaegerPort?: number;
  /** Jaeger's OTLP/HTTP receiver on 127.0.0.1 (default 4318; 0 = a free port) */
  otlpPort?: number;
  /** Prometheus's scrape interval (default 5 s) */
  scrapeIntervalSeconds?: number;
  /** Prometheus rule files (e.g. the chart's alert rules) */
  ruleFiles?: string[];
}

/** Where a cluster's traces and metrics are (Cluster.observability). */
export interface ClusterObservability {
  /** Prometheus's UI and API */
  prometheusUrl: string;
  /** Jaeger's UI and query API (tools/observability/jaeger-query.ts reads it) */
  jaegerUrl: string;
  /** what the replicas have as OTEL_EXPORTER_OTLP_ENDPOINT */
  otlpUrl: string;
  pids: { prometheus: number; jaeger: number };
  /** the Prometheus file_sd file listing this cluster's live replicas */
  targetsFile: string;
}

/** atMs is an epoch time in milliseconds (Date.now()), comparable with the load driver's clock. */
export type ClusterEvent =
  | { type: 'replica-started'; service: ServiceName; replica: string; port: number; pid: number; atMs: number }
  /** in rotation: its readiness probe passed (`again`: after it had turned unready, successThreshold probes in a row) */
  | { type: 'replica-ready'; service: ServiceName; replica: string; port: number; again?: true; atMs: number }
  /** out of rotation, still running: failureThreshold readiness probes in a row failed; `reason`: what the last one saw */
  | { type: 'replica-unready'; service: ServiceName; replica: string; port: number; failures: number; reason: string; atMs: number }
  | { type: 'replica-deleting'; service: ServiceName; replica: string; kill: KillType; atMs: number }
  | { type: 'replica-exited'; service: ServiceName; replica: string; code: number | null; signal: string | null; atMs: number }
  | { type: 'replica-replaced'; service: ServiceName; replica: string; replacement: string; atMs: number }
  /** a new nginx config is live: `endpoints` lists the replica names in rotation per service */
  | { type: 'ingress-reloaded'; generation: number; endpoints: Partial<Record<ServiceName, string[]>>; tookMs: number; atMs: number };

export interface ReplicaInfo {
  service: ServiceName;
  name: string;
  port: number;
  pid: number;
  /** in the ingress upstream (ready and not terminating) */
  inRotation: boolean;
  /**
   * starting: not ready yet; ready: passes its readiness probe; unready: passed it, then failed it
   * failureThreshold times in a row (out of rotation until it passes again); terminating: being
   * deleted or crashed
   */
  phase: 'starting' | 'ready' | 'unready' | 'terminating';
  /** <runDir>/logs/<name>.log */
  logFile: string;
}

export interface Cluster {
  /** http://127.0.0.1:<port> — the Ingress */
  readonly ingressUrl: string;
  replicas(service?: ServiceName): ReplicaInfo[];
  /**
   * Deletes a replica like Kubernetes would and starts a replacement with a new name (like a
   * ReplicaSet). graceful: endpoint removal and the pre-stop sleep start together, then SIGTERM,
   * SIGKILL after the grace period. sigkill: no warning; endpoint removal follows shortly after.
   * hang: stopped for `hangMs`, resumed, then deleted gracefully (see KillType).
   * Resolves when the old process has exited and its endpoint is removed; the replacement joins
   * the rotation when ready.
   */
  deleteReplica(name: string, kill: KillType): Promise<{ replacement: string }>;
  /** waits until every service has its full replica count in rotation */
  waitForFullStrength(timeoutMs?: number): Promise<void>;
  /** the run directory: logs/, nginx/ (config, access.log in JSON, error.log), events.jsonl */
  readonly runDir: string;
  /** the nginx masters (edge: client connections, router: upstreams, reloaded) and the router's JSON access log */
  readonly ingress: { pids: number[]; accessLog: string; configDir: string };
  /** the Jaeger and Prometheus it reports to; undefined unless started with `observability` */
  readonly observability?: ClusterObservability;
  stop(): Promise<void>;
}
