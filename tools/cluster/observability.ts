// The local cluster's side of the observability stack (tools/observability): Prometheus finds the
// replicas through a file_sd targets file the controller rewrites whenever a replica starts or
// exits, each target labelled the way Kubernetes service discovery labels a pod's — namespace,
// pod, container — so the dashboards' queries work unchanged on both. Replicas export traces to
// Jaeger's OTLP receiver (local-env.ts).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startObservability, writeTargets, type Observability, type ScrapeConfig, type TargetGroup } from '../observability/index.ts';
import type { ObservabilitySettings, ServiceName } from './types.ts';

/** The stack's addresses on this machine when nothing else is asked for (`make up`). */
export const DEFAULT_OBSERVABILITY_PORTS = { prometheus: 9090, jaeger: 16686, otlp: 4318 } as const;

/** A running stack and the folder of file_sd targets files its Prometheus reads (one file per cluster). */
export interface LocalObservability extends Observability {
  targetsDir: string;
}

/** The one scrape job of the local cluster: every targets file in targetsDir (the chart's metrics path). */
export function localScrapeConfig(targetsDir: string): ScrapeConfig {
  return { job_name: 'anypod', metrics_path: '/metrics', file_sd_configs: [{ files: [join(targetsDir, '*.json')] }] };
}

/** Starts Jaeger and Prometheus for local clusters in `dir` (ports: the defaults unless given; 0 = a free one). */
export async function startLocalObservability(dir: string, settings: Omit<ObservabilitySettings, 'stack'> = {}): Promise<LocalObservability> {
  const targetsDir = join(dir, 'targets');
  mkdirSync(targetsDir, { recursive: true });
  const stack = await startObservability({
    runDir: dir,
    prometheusPort: settings.prometheusPort ?? DEFAULT_OBSERVABILITY_PORTS.prometheus,
    jaegerPort: settings.jaegerPort ?? DEFAULT_OBSERVABILITY_PORTS.jaeger,
    otlpPort: settings.otlpPort ?? DEFAULT_OBSERVABILITY_PORTS.otlp,
    scrapeIntervalSeconds: settings.scrapeIntervalSeconds,
    scrapeConfigs: [localScrapeConfig(targetsDir)],
    ruleFiles: settings.ruleFiles,
  });
  return Object.assign(stack, { targetsDir });
}

export interface ScrapedReplica {
  service: ServiceName;
  name: string;
  port: number;
}

/** A target per replica, labelled like a pod found by kubernetes_sd: its namespace, its name, its container (= the service). */
export function replicaTargets(replicas: ScrapedReplica[], namespace: (service: ServiceName) => string): TargetGroup[] {
  return replicas.map((r) => ({ targets: [`127.0.0.1:${r.port}`], labels: { namespace: namespace(r.service), pod: r.name, container: r.service } }));
}

/** One cluster's targets file in a stack's targets folder. */
export class ClusterTargets {
  readonly file: string;

  constructor(targetsDir: string, clusterId: string) {
    this.file = join(targetsDir, `${clusterId}.json`);
  }

  write(groups: TargetGroup[]): void {
    writeTargets(this.file, groups);
  }

  /** The cluster is gone: Prometheus drops its targets and marks their series stale. */
  remove(): void {
    rmSync(this.file, { force: true });
  }
}
