// The one-node cluster's Prometheus and Jaeger, on the node (make kube-up's stage
// "observability"; kube-down stops them by the pids written here).
//   node --import tsx tools/kube/observability.ts start   → prints the URLs
// Jaeger takes the pods' traces on the bridge address (the chart's observability.otlpEndpoint in
// chart-values.yaml points there). Prometheus scrapes what the chart's own in-cluster Prometheus
// would: its scrape config and alert rules are taken from the rendered chart, so the labels and
// the alerts tested here are the ones users get. Two differences, both for Debian's Prometheus
// 2.42, which has no kubernetes_sd_configs: pods are discovered over http_sd from
// prometheus-sd/ (the same __meta_kubernetes_pod_* labels), and the kubelet's cAdvisor is
// scraped too (as kube-prometheus-stack does), with the read-only identity of pki.sh.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_RELEASE, parseObjects, renderText, type K8sObject } from '../k8s/render.ts';
import { startObservability, type ScrapeConfig } from '../observability/index.ts';
import { kubeEnv } from './proof/kube-env.ts';
import { REPO_ROOT } from '../cluster/paths.ts';

const CHART_VALUES = join(REPO_ROOT, 'tools/kube/chart-values.yaml');

interface KubernetesSd {
  role: string;
  namespaces?: { names?: string[] };
}

interface RelabelConfig {
  source_labels?: string[];
  regex?: string;
  action?: string;
  target_label?: string;
}

/** The chart's prometheus.yml, parsed: what the node's Prometheus and the tests read of it. */
export interface ChartPrometheusConfig {
  rule_files?: string[];
  scrape_configs: ScrapeConfig[];
}

/**
 * The chart's Prometheus config and rule file from its rendered objects (the ConfigMap
 * `<release>-prometheus`): read here only, for the node's Prometheus and every test of them.
 */
export function chartPrometheusFilesOf(objects: readonly K8sObject[], release = DEFAULT_RELEASE): { config: ChartPrometheusConfig; rules: string } {
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${release}-prometheus`) as { data?: Record<string, string> } | undefined;
  const config = configMap?.data?.['prometheus.yml'];
  const rules = configMap?.data?.['anypod.rules.yaml'];
  if (!config || !rules) throw new Error(`the rendered chart has no ConfigMap ${release}-prometheus with prometheus.yml and anypod.rules.yaml`);
  return { config: parseYaml(config) as ChartPrometheusConfig, rules };
}

/** The chart's Prometheus config and rule file, as `helm template` renders them for this cluster. */
export function chartPrometheusFiles(release: string, namespace: string): { config: ChartPrometheusConfig; rules: string } {
  return chartPrometheusFilesOf(parseObjects(renderText({ release, namespace, valuesFiles: [CHART_VALUES], set: { 'observability.enabled': 'true' } })), release);
}

/**
 * The chart's scrape configs with each kubernetes_sd (role pod) discovery swapped for the http_sd
 * of prometheus-sd/, which lists every namespace's pods: the namespaces the chart asked for are
 * kept by a first relabelling rule instead.
 */
export function withHttpSd(configs: ScrapeConfig[], sdUrl: string): ScrapeConfig[] {
  return configs.map((config) => {
    const sds = config.kubernetes_sd_configs as KubernetesSd[] | undefined;
    if (!sds) return config;
    if (sds.length !== 1 || sds[0]!.role !== 'pod') throw new Error(`job ${config.job_name}: only one kubernetes_sd_configs entry of role pod is supported here`);
    const { kubernetes_sd_configs: _dropped, ...rest } = config;
    const names = sds[0]!.namespaces?.names ?? [];
    const keepNamespaces: RelabelConfig[] = names.length > 0 ? [{ source_labels: ['__meta_kubernetes_namespace'], regex: names.map(escapeRegex).join('|'), action: 'keep' }] : [];
    return {
      ...rest,
      http_sd_configs: [{ url: sdUrl, refresh_interval: '5s' }],
      relabel_configs: [...keepNamespaces, ...((config.relabel_configs as RelabelConfig[] | undefined) ?? [])],
    };
  });
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The kubelet's cAdvisor: per-container CPU and memory labelled namespace/pod/container (honor_labels, as kube-prometheus-stack). */
function cadvisorScrapeConfig(nodeIp: string, pki: string): ScrapeConfig {
  return {
    job_name: 'kubelet-cadvisor',
    scheme: 'https',
    metrics_path: '/metrics/cadvisor',
    honor_labels: true,
    tls_config: { ca_file: join(pki, 'ca.crt'), cert_file: join(pki, 'prometheus.crt'), key_file: join(pki, 'prometheus.key') },
    static_configs: [{ targets: [`${nodeIp}:10250`], labels: { node: nodeIp } }],
  };
}

async function start(): Promise<void> {
  const env = kubeEnv();
  const namespace = process.env.ANYPOD_KUBE_NAMESPACE || 'anypod';
  const runDir = join(env.RUN_DIR, 'observability');
  mkdirSync(runDir, { recursive: true });
  const { config, rules } = chartPrometheusFiles(namespace, namespace);
  const rulesFile = join(runDir, 'anypod.rules.yaml');
  writeFileSync(rulesFile, rules);
  const sdUrl = `http://127.0.0.1:${env.PROMETHEUS_SD_PORT}/targets`;
  const stack = await startObservability({
    runDir,
    prometheusPort: Number(env.PROMETHEUS_PORT),
    jaegerPort: Number(env.JAEGER_PORT),
    otlpPort: Number(env.OTLP_PORT),
    otlpHost: env.NODE_IP,
    scrapeConfigs: [...withHttpSd(config.scrape_configs, sdUrl), cadvisorScrapeConfig(env.NODE_IP, join(env.RUN_DIR, 'pki'))],
    ruleFiles: [rulesFile],
    outlive: true,
  });
  // kube-down and kube-status know every component by a pid file (common.sh).
  writeFileSync(join(env.PID_DIR, 'prometheus.pid'), `${stack.pids.prometheus}\n`);
  writeFileSync(join(env.PID_DIR, 'jaeger.pid'), `${stack.pids.jaeger}\n`);
  writeFileSync(join(env.RUN_DIR, 'prometheus.url'), `${stack.prometheusUrl}\n`);
  writeFileSync(join(env.RUN_DIR, 'jaeger.url'), `${stack.jaegerUrl}\n`);
  process.stdout.write(`prometheus ${stack.prometheusUrl}\njaeger ${stack.jaegerUrl}\notlp ${stack.otlpUrl}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const command = process.argv[2];
  if (command !== 'start') {
    process.stderr.write('usage: node --import tsx tools/kube/observability.ts start   (kube-down stops what it started)\n');
    process.exit(2);
  }
  start().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`observability: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
