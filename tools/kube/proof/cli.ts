// `make demo-kube`: the proof on the one-node Kubernetes (tools/kube) — the same journeys,
// history checks and report as `make demo`, against the chart's release through the gateway,
// with pods deleted by kubectl. make demo-kube runs kube-up and kube-deploy first; this expects
// the release to be there (deployed with tools/kube/proof-values.yaml).
//
//   node --import tsx tools/kube/proof/cli.ts [the flags of tools/proof/cli.ts]
//
// Runs: kube-graceful, kube-force, kube-operations, kube-stateful (PROOF_RUNS/--runs picks some).
// Writes out/proof-kube/report.{json,html}; prints the summary next to the local cluster's last
// run (out/proof/report.json) when there is one. Exit status as tools/proof/cli.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKiller } from '../../proof/killer.ts';
import { parseOrUsage } from '../../config/cli-input.ts';
import { finishReport, parseConfig, runIfMain, runSettings } from '../../proof/cli.ts';
import type { Platform, ProofReport } from '../../proof/report-types.ts';
import { runProof } from '../../proof/run-proof.ts';
import { REPO_ROOT } from '../../cluster/paths.ts';
import { DEFAULT_NAMESPACE, DEFAULT_RELEASE, ensureStateStore, KubeCluster, startKubeCluster } from './kube-cluster.ts';
import { helm, kubectl, kubeEnv } from './kube-env.ts';
import { startOperations } from './operations.ts';
import { KUBE_CATALOGUE } from './runs.ts';
import { seedReleaseCatalog } from './seed.ts';

/** What the report says about where it ran, read from the cluster. */
export async function kubePlatform(namespace = DEFAULT_NAMESPACE, release = DEFAULT_RELEASE): Promise<Platform> {
  const version = (JSON.parse((await kubectl(['version', '--output', 'json'])).stdout) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion ?? 'unknown';
  const nodes = (await kubectl(['get', 'nodes', '--output', 'jsonpath={.items[*].metadata.name}'])).stdout.trim().split(/\s+/);
  const releases = JSON.parse((await helm(['list', '--namespace', namespace, '--output', 'json'])).stdout) as Array<{ name: string; chart: string }>;
  const chart = releases.find((r) => r.name === release)?.chart ?? 'unknown';
  return { kind: 'kubernetes', version, nodes, namespace, release, chart, routing: "the project's gateway (nginx fed by HTTPRoutes and EndpointSlices, tools/kube/gateway)" };
}

/**
 * The node's Jaeger, where the pods send their traces (kube-up's observability stage writes its
 * URL to $RUN_DIR/jaeger.url), or undefined — said in the log — when kube-up ran without it; the
 * report then says the runs were not traced.
 */
export function nodeJaegerUrl(log: (line: string) => void = (line) => console.log(line)): string | undefined {
  const file = join(kubeEnv().RUN_DIR, 'jaeger.url');
  const url = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (!url) log(`no Jaeger on the node (${file} is missing or empty): the runs' traces cannot be read`);
  return url || undefined;
}

/** The local cluster's last report, to print beside this one (the comparison the issue asks for). */
function localReport(): ProofReport | undefined {
  const path = join(REPO_ROOT, 'out/proof/report.json');
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ProofReport;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const config = parseOrUsage(
    () => parseConfig(process.argv.slice(2), process.env, KUBE_CATALOGUE),
    'usage: node --import tsx tools/kube/proof/cli.ts [--duration S] [--kill-every S] [--vus N] [--replicas N] [--runs LIST] [--min-kills N] [--seed N] [--out DIR]',
  );
  if (!config) return 2;
  const log = (line: string): void => console.log(line);
  if (!existsSync(kubeEnv().KUBECONFIG)) {
    console.error(`no cluster (${kubeEnv().KUBECONFIG} is missing): make kube-up && make kube-deploy, or make demo-kube`);
    return 2;
  }
  const platform = await kubePlatform();
  log(`on ${platform.kind === 'kubernetes' ? `Kubernetes ${platform.version}, node ${platform.nodes.join(', ')}, chart ${platform.chart}` : ''}`);
  const jaegerUrl = nodeJaegerUrl(log);
  if (jaegerUrl) log(`traces: the node's Jaeger ${jaegerUrl} (read after each run)`);
  let current: KubeCluster | undefined;
  let report: ProofReport;
  try {
    report = await runProof({
      ...runSettings(config),
      platform,
      ...(jaegerUrl ? { jaegerUrl } : {}),
      startCluster: async (options) => {
        current = await startKubeCluster({ ...options, log });
        return current;
      },
      startDisruptor: (spec, cluster, options) => (spec.kill === 'operations' ? startOperations(cluster as KubeCluster, options) : startKiller(options)),
      seedCatalog: () => {
        if (!current) throw new Error('no cluster to seed');
        return seedReleaseCatalog(current);
      },
    });
  } finally {
    // The stateful run switches the release to STATE_STORE=memory: put it back, as deployed.
    await ensureStateStore({ kubeconfig: kubeEnv().KUBECONFIG, namespace: DEFAULT_NAMESPACE, release: DEFAULT_RELEASE }, 'shared', log).catch((error: Error) => log(`could not put the release back to STATE_STORE=shared: ${error.message}`));
  }
  const local = localReport();
  if (local) {
    // The local cluster's last runs, in report.json and report.html too (their per-second
    // timelines left out: the charts belong to that report).
    report.baseline = {
      title: 'The local cluster’s last runs (make demo, out/proof/report.json)',
      generatedAt: local.generatedAt,
      ...(local.machine.platform ? { platform: local.machine.platform } : {}),
      runs: local.runs.map((run) => ({ ...run, timeline: { ...run.timeline, buckets: [] } })),
    };
  }
  return finishReport(config.outDir, report, local ? { title: `The local cluster's last runs (out/proof/report.json, ${local.generatedAt}), for comparison:`, report: local } : undefined);
}

runIfMain(import.meta.url, main);
