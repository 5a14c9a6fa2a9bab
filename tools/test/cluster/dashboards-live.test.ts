// Every dashboard query against a real Prometheus scraping real services. The services: a local
// cluster (two replicas of each, behind nginx) under a short load of shoppers. The Prometheus:
// Debian's, configured with the chart's own scrape config and alert rules as `helm template`
// renders them. Its pods come from a stand-in for the Kubernetes API's pod list — the chart's pod
// templates (labels, containers, the init container), each replica as one pod with its name and
// port, plus pods the chart's relabelling must leave out (Postgres, Valkey, the observability
// pods, another release's, a finished one, another namespace's) — served over http_sd with the
// labels Prometheus' Kubernetes discovery gives (tools/kube/prometheus-sd, as on the node's
// Prometheus: Debian's has no kubernetes_sd). So the labels every query selects by come from the
// chart's relabelling, not from this test.
// Shown: the targets are exactly the replicas, labelled namespace/pod/container; every query but
// the two cAdvisor ones (no kubelet here; listed, not silently dropped) returns series; a query
// with a typo'd metric name is reported empty and a broken one as an error; every alert rule
// evaluates without error and none fires; after a pod is deleted, the Deletions dashboard counts
// it gone and its replacement appears.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../cluster/process-utils.ts';
import { eventually, newAccount } from '../../cluster/testing.ts';
import type { Cluster, ServiceName } from '../../cluster/types.ts';
import { checkLive, failures, formatResults, type LiveResult } from '../../dashboards/check-live.ts';
import { committedDashboards } from '../../dashboards/index.ts';
import { SERVICE_NAMES } from '../../dashboards/panels.ts';
import { concreteQueries } from '../../dashboards/queries.ts';
import { CHART_DIR, DEFAULT_RELEASE, render, type K8sObject } from '../../k8s/render.ts';
import { podTemplates, serviceDeployments } from '../../k8s/workloads.ts';
import { chartPrometheusFilesOf, withHttpSd } from '../../kube/observability.ts';
import { podTargetGroups } from '../../kube/prometheus-sd/pod-targets.ts';
import { PromQL } from '../../observability/promql.ts';
import { startPrometheus, type PrometheusProcess } from '../../observability/prometheus.ts';
import { startTestCluster } from './test-cluster.ts';

const NAMESPACE = DEFAULT_RELEASE;
const SERVICES: ServiceName[] = ['auth', 'catalog', 'cart'];
const runDir = mkdtempSync(join(tmpdir(), 'anypod-dashboards-live-'));
let cluster: Cluster;
let prometheus: PrometheusProcess;
let prom: PromQL;
let sd: Server;
let objects: K8sObject[];
let results: LiveResult[];


type PodTemplateJson = { metadata: { labels: Record<string, string> }; spec: V1Pod['spec'] };
const templateOf = (owner: K8sObject): PodTemplateJson => (owner.spec as { template: PodTemplateJson }).template;

/** One pod of a rendered workload, as the API would list it: on loopback, Running and Ready. */
function pod(owner: K8sObject, name: string, overrides: { namespace?: string; labels?: Record<string, string>; phase?: string; httpPort?: number } = {}): V1Pod {
  const template = templateOf(owner);
  const containers = (template.spec?.containers ?? []).map((c) => ({
    ...c,
    ports: c.ports?.map((p) => (p.name === 'http' && overrides.httpPort ? { ...p, containerPort: overrides.httpPort } : p)),
  }));
  return {
    metadata: { name, namespace: overrides.namespace ?? NAMESPACE, uid: `uid-${name}`, labels: { ...template.metadata.labels, ...overrides.labels } },
    spec: { ...template.spec, containers },
    status: { phase: overrides.phase ?? 'Running', podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** The pods the API lists now: each live replica as its service's pod, and the pods to be left out. */
function currentPods(): V1Pod[] {
  const services = serviceDeployments(objects);
  const deployment = (service: string) => services.find((t) => t.component === service)!.owner;
  const replicas = cluster.replicas().map((r) => pod(deployment(r.service), r.name, { httpPort: r.port }));
  const others = podTemplates(objects)
    .filter((t) => ['postgres', 'valkey', 'prometheus', 'grafana', 'jaeger'].includes(t.component ?? ''))
    .map((t) => pod(t.owner, `${t.owner.metadata.name}-0`));
  const cart = deployment('cart');
  const leftOut = [
    pod(cart, 'other-release-cart-1', { labels: { 'app.kubernetes.io/instance': 'other' }, httpPort: 1 }),
    pod(cart, 'anypod-cart-finished', { phase: 'Succeeded', httpPort: 1 }),
    pod(cart, 'anypod-cart-elsewhere', { namespace: 'elsewhere', httpPort: 1 }),
  ];
  return [...replicas, ...others, ...leftOut];
}

/** A few shoppers through the Ingress: sign in, browse, add a product, check out (cart calls catalog). */
async function shop(rounds: number): Promise<void> {
  const { accessToken } = await newAccount(cluster.ingressUrl, 'dashboards');
  const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
  for (let round = 0; round < rounds; round++) {
    const products = (await (await fetch(`${cluster.ingressUrl}/catalog/products?pageSize=20`, { headers })).json()) as { items?: Array<{ id: string; stock: number }> };
    const product = products.items?.find((p) => p.stock > 0);
    if (!product) throw new Error('the catalog has no product in stock: seed it first (make seed)');
    const added = await fetch(`${cluster.ingressUrl}/cart/items`, { method: 'POST', headers: { ...headers, 'idempotency-key': crypto.randomUUID() }, body: JSON.stringify({ productId: product.id, quantity: 1 }) });
    if (added.status !== 200) throw new Error(`add to cart answered ${added.status}: ${await added.text()}`);
    const order = await fetch(`${cluster.ingressUrl}/cart/checkout`, { method: 'POST', headers: { authorization: headers.authorization, 'idempotency-key': crypto.randomUUID() } });
    if (order.status !== 201) throw new Error(`checkout answered ${order.status}: ${await order.text()}`);
    await (await fetch(`${cluster.ingressUrl}/cart`, { headers })).text();
  }
}

beforeAll(async () => {
  objects = render({ valuesFiles: [join(CHART_DIR, 'ci/observability-values.yaml')] });
  cluster = await startTestCluster({ services: SERVICES, replicas: 2, runDir: join(runDir, 'cluster') });
  sd = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(podTargetGroups(currentPods())));
  });
  await new Promise<void>((resolve) => sd.listen(0, '127.0.0.1', resolve));
  const sdUrl = `http://127.0.0.1:${(sd.address() as AddressInfo).port}/targets`;
  const { config, rules } = chartPrometheusFilesOf(objects);
  const rulesFile = join(runDir, 'anypod.rules.yaml');
  writeFileSync(rulesFile, rules);
  const scrapeConfigs = withHttpSd(config.scrape_configs, sdUrl).map((c) => ({
    ...c,
    // the chart's http_sd stand-in is polled every second here, so a replacement is found at once
    http_sd_configs: [{ url: sdUrl, refresh_interval: '1s' }],
  }));
  prometheus = await startPrometheus({ dir: join(runDir, 'prometheus'), port: await freePort(), scrapeIntervalSeconds: 1, scrapeConfigs, ruleFiles: [rulesFile] });
  prom = new PromQL(prometheus.url);
  await Promise.all([shop(2), shop(2), shop(2)]);
  // Every query that can have series has them a few scrapes after the load (rates need two samples).
  results = await eventually('every dashboard query answered with series', async () => {
    const run = await checkLive({ prometheusUrl: prometheus.url, namespace: NAMESPACE, skipSources: ['cadvisor'] });
    return failures(run).length === 0 ? run : undefined;
  }, 60_000).catch(async (error: Error) => {
    console.log(formatResults(await checkLive({ prometheusUrl: prometheus.url, namespace: NAMESPACE, skipSources: ['cadvisor'] })));
    throw error;
  });
}, 300_000);

afterAll(async () => {
  await prometheus?.stop();
  await cluster?.stop();
  await new Promise((resolve) => (sd ? sd.close(resolve) : resolve(undefined)));
  rmSync(runDir, { recursive: true, force: true });
});

describe('the dashboards against a live Prometheus configured by the chart', { tags: ['timing'] }, () => {
  it('the targets are exactly the replicas, each labelled namespace, pod and container by the chart\'s relabelling', async () => {
    const targets = (await prom.targets()).filter((t) => t.scrapePool === 'anypod');
    const replicas = cluster.replicas();
    expect(targets.map((t) => t.labels.pod).sort()).toEqual(replicas.map((r) => r.name).sort());
    for (const r of replicas) {
      const target = targets.find((t) => t.labels.pod === r.name)!;
      expect(target.labels).toEqual({ namespace: NAMESPACE, pod: r.name, container: r.service, job: 'anypod', instance: `127.0.0.1:${r.port}` });
      expect(target.health, `${r.name}: ${target.lastError}`).toBe('up');
    }
  });

  it('every query returns series; only the two cAdvisor panels are left out, by name', () => {
    console.log(formatResults(results));
    expect(failures(results)).toEqual([]);
    expect(results.filter((r) => r.skipped).map((r) => r.query.name)).toEqual(['CPU per pod (cAdvisor)', 'Memory working set per pod (cAdvisor)']);
    expect(results.filter((r) => r.series !== undefined).length).toBe(results.length - 2);
  });

  it('a query with a typo\'d metric name is reported empty, and a broken one as an error', async () => {
    const [first] = concreteQueries(committedDashboards(), { namespace: NAMESPACE, services: SERVICE_NAMES });
    expect(first!.promql).toContain('http_requests_total{');
    const typo = { ...first!, name: 'typo', promql: first!.promql.replaceAll('http_requests_total{', 'http_requests_totl{') };
    const broken = { ...first!, name: 'broken', promql: first!.promql.replace('sum by (container, pod)', 'sum by (container, pod') };
    const wrongNamespace = await checkLive({ prometheusUrl: prometheus.url, namespace: 'elsewhere', skipSources: ['cadvisor'] });
    const checked = await checkLive({ prometheusUrl: prometheus.url, namespace: NAMESPACE, queries: [first!, typo, broken] });
    // The real query has series (how many depends on which replicas' last minute of scrapes
    // succeeded on a loaded machine: the targets test checks the replicas); its typo has none.
    expect(checked[0]!.series, first!.name).toBeGreaterThan(0);
    expect(checked.map((r) => [r.query.name, r.series === undefined ? undefined : Math.min(r.series, 1), r.error === undefined])).toEqual([
      [first!.name, 1, true],
      ['typo', 0, true],
      ['broken', undefined, false],
    ]);
    expect(failures(checked).map((r) => r.query.name)).toEqual(['typo', 'broken']);
    expect(formatResults(failures(checked))).toMatch(/EMPTY {2}.*"typo"[\s\S]*ERROR {2}.*"broken".*parse error/);
    // every query that selects by namespace is empty for a namespace nothing runs in
    expect(failures(wrongNamespace).length).toBeGreaterThan(results.length / 2);
  });

  // The latency alerts are left out of "none firing": with a few dozen requests, one login that
  // waited for scrypt is several percent of auth's requests (the README's low-traffic caveat).
  it('every alert rule evaluates on these series without error, and none but the latency alerts fires', async () => {
    const groups = await eventually('every rule evaluated', async () => {
      const res = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as { data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string; state?: string; lastEvaluation: string }> }> } };
      const all = res.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => !r.lastEvaluation.startsWith('0001')) ? res.data.groups : undefined;
    }, 60_000);
    const rules = groups.flatMap((g) => g.rules);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    // Firing, not pending: on a loaded machine one scrape (1 s timeout here) can fail and put
    // AnypodTargetDown in pending for a moment, which is what its `for: 2m` is there to absorb.
    const active = rules.filter((r) => r.state !== undefined && r.state !== 'inactive').map((r) => `${r.name}: ${r.state}`);
    expect(active.filter((a) => a.endsWith(': firing') && !a.startsWith('AnypodLatencyBudgetBurn'))).toEqual([]);
    console.log(`${rules.length} rules in ${groups.length} groups evaluated, all healthy; active: ${active.join(', ') || 'none'}`);
  });

  it('after a pod is deleted, its replacement is scraped and the Deletions dashboard counts one pod gone', async () => {
    const victim = cluster.replicas('catalog')[0]!;
    const { replacement } = await cluster.deleteReplica(victim.name, 'graceful');
    const gone = concreteQueries(committedDashboards(), { namespace: NAMESPACE, services: SERVICE_NAMES }).find((q) => q.name === 'Pods gone (time range)')!;
    const byService = await eventually('the replacement up and the deleted pod gone', async () => {
      const up = await prom.vector(`up{pod="${replacement}"} == 1`);
      const counts = Object.fromEntries((await prom.vector(gone.promql)).map((s) => [s.metric.container, Number(s.value[1])]));
      return up.length === 1 && counts.catalog === 1 ? counts : undefined;
    }, 60_000);
    expect(byService).toEqual({ auth: 0, cart: 0, catalog: 1 });
    expect(await prom.vector(`up{pod="${victim.name}"}`)).toEqual([]);
  });
});
