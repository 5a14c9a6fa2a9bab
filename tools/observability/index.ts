// The observability stack: Jaeger (traces) and Prometheus (metrics) as two processes, started
// together and stopped together. Used by the local cluster (tools/cluster, `make up`, `make demo`)
// and by the one-node Kubernetes (tools/kube); what to scrape is the caller's business (file_sd on
// the local cluster, kubernetes_sd on Kubernetes), so nothing here knows about either.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopRecorded } from './daemon.ts';
import { JAEGER_PROCESS, startJaeger, type JaegerProcess } from './jaeger.ts';
import { assertPortsFree, freePorts } from './ports.ts';
import { PROMETHEUS_PROCESS, startPrometheus, type PrometheusProcess, type ScrapeConfig } from './prometheus.ts';

export { JaegerQuery, podsOf, podOf, parentOf, childrenOf, serviceOf, serviceCalls, spanKind, spanAttribute, resourceAttribute, type Trace, type Span, type ServiceCall } from './jaeger-query.ts';
export { PromQL, type Sample, type Series, type Target, type Labels } from './promql.ts';
export { writeTargets, type ScrapeConfig, type TargetGroup } from './prometheus.ts';

export interface ObservabilityOptions {
  /** jaeger/, prometheus/ and observability.json (pids and URLs) go here */
  runDir: string;
  /** Prometheus's web UI and API on 127.0.0.1 (0: a free port) */
  prometheusPort: number;
  /** Jaeger's UI and query API on 127.0.0.1 (0: a free port) */
  jaegerPort: number;
  /** Jaeger's OTLP/HTTP receiver (0: a free port) */
  otlpPort: number;
  /**
   * The OTLP receiver's address (default 127.0.0.1). On the one-node Kubernetes, the bridge
   * address (10.244.0.1) so pods reach it; it is the only listener that may leave loopback.
   */
  otlpHost?: string;
  /** Prometheus's scrape and evaluation interval (default 5 s) */
  scrapeIntervalSeconds?: number;
  /** what Prometheus scrapes, besides Jaeger's own metrics (job `jaeger`) */
  scrapeConfigs: ScrapeConfig[];
  /** Prometheus rule files (the chart's alert rules) */
  ruleFiles?: string[];
  /** traces Jaeger keeps in memory (default: jaeger.ts's) */
  maxTraces?: number;
  /** keep running after this process exits; stop with stopRecordedObservability(runDir) */
  outlive?: boolean;
}

/** What observability.json holds: enough for another process to show and stop the stack. */
export interface ObservabilityState {
  prometheusUrl: string;
  jaegerUrl: string;
  otlpUrl: string;
  pids: { prometheus: number; jaeger: number };
  logs: { prometheus: string; jaeger: string };
}

export interface Observability extends ObservabilityState {
  readonly prometheus: PrometheusProcess;
  readonly jaeger: JaegerProcess;
  /** stops both (Jaeger last: a service flushing its spans on shutdown still reaches it) */
  stop(): Promise<void>;
  /** for exit handlers: SIGKILL both, no waiting */
  killNow(): void;
}

const statePath = (runDir: string): string => join(runDir, 'observability.json');

/** Starts Jaeger and Prometheus side by side; resolves when both are ready, or stops both and rejects. */
export async function startObservability(options: ObservabilityOptions): Promise<Observability> {
  mkdirSync(options.runDir, { recursive: true });
  // Every port the stack needs at once (0 in the options: a free one), all different.
  const free = await freePorts(6);
  const pick = (wanted: number): number => (wanted === 0 ? (free.pop() as number) : wanted);
  const [jaegerPort, otlpPort, prometheusPort] = [pick(options.jaegerPort), pick(options.otlpPort), pick(options.prometheusPort)];
  const [jaegerMetrics, queryGrpc, health] = [free.pop() as number, free.pop() as number, free.pop() as number];
  const otlpHost = options.otlpHost ?? '127.0.0.1';
  await assertPortsFree([
    { name: 'Jaeger UI', host: '127.0.0.1', port: jaegerPort },
    { name: 'OTLP receiver', host: otlpHost, port: otlpPort },
    { name: 'Prometheus', host: '127.0.0.1', port: prometheusPort },
  ]);
  const starting = [
    startJaeger({
      dir: join(options.runDir, 'jaeger'),
      otlp: { host: otlpHost, port: otlpPort },
      query: { host: '127.0.0.1', port: jaegerPort },
      internalPorts: { metrics: jaegerMetrics, queryGrpc, health },
      maxTraces: options.maxTraces,
      outlive: options.outlive,
    }),
    startPrometheus({
      dir: join(options.runDir, 'prometheus'),
      port: prometheusPort,
      scrapeIntervalSeconds: options.scrapeIntervalSeconds ?? 5,
      // Jaeger's own metrics: spans received, refused and dropped, when a trace seems missing.
      scrapeConfigs: [{ job_name: 'jaeger', static_configs: [{ targets: [`127.0.0.1:${jaegerMetrics}`] }] }, ...options.scrapeConfigs],
      ruleFiles: options.ruleFiles,
      outlive: options.outlive,
    }),
  ] as const;
  const [jaeger, prometheus] = await Promise.allSettled(starting);
  if (jaeger.status === 'rejected' || prometheus.status === 'rejected') {
    await Promise.all([jaeger, prometheus].map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw [jaeger, prometheus].find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
  }
  const state: ObservabilityState = {
    prometheusUrl: prometheus.value.url,
    jaegerUrl: jaeger.value.queryUrl,
    otlpUrl: jaeger.value.otlpUrl,
    pids: { prometheus: prometheus.value.pid, jaeger: jaeger.value.pid },
    logs: { prometheus: prometheus.value.logFile, jaeger: jaeger.value.logFile },
  };
  const tmp = `${statePath(options.runDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, statePath(options.runDir));
  let stopping: Promise<void> | undefined;
  return {
    ...state,
    prometheus: prometheus.value,
    jaeger: jaeger.value,
    stop() {
      stopping ??= (async () => {
        try {
          await prometheus.value.stop();
        } finally {
          await jaeger.value.stop();
          rmSync(statePath(options.runDir), { force: true });
        }
      })();
      return stopping;
    },
    killNow() {
      prometheus.value.killNow();
      jaeger.value.killNow();
    },
  };
}

/** The state a running stack recorded in runDir, or null. */
export function readObservabilityState(runDir: string): ObservabilityState | null {
  if (!existsSync(statePath(runDir))) return null;
  try {
    return JSON.parse(readFileSync(statePath(runDir), 'utf8')) as ObservabilityState;
  } catch {
    return null;
  }
}

/**
 * Stops a stack another process started, by the pids it recorded (each only if it still runs
 * Prometheus / Jaeger). Returns the pids it stopped.
 */
export async function stopRecordedObservability(runDir: string): Promise<number[]> {
  const state = readObservabilityState(runDir);
  if (!state) return [];
  const stopped: number[] = [];
  if (await stopRecorded(state.pids.prometheus, PROMETHEUS_PROCESS)) stopped.push(state.pids.prometheus);
  if (await stopRecorded(state.pids.jaeger, JAEGER_PROCESS)) stopped.push(state.pids.jaeger);
  rmSync(statePath(runDir), { force: true });
  return stopped;
}
