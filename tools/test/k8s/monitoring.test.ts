// The chart's monitoring objects as a Prometheus operator and Grafana meet them: the PodMonitor and
// ServiceMonitor select exactly the service pods on their http port, the PrometheusRule is the
// rule file scoped to the release namespace, the dashboards ConfigMap carries every generated
// dashboard (labelled for the sidecar only when asked), all of it valid against the operator's own
// CRDs (kubectl-validate, offline). The chart's own Prometheus: its config passes promtool, it
// holds a token only through its projected volume and may only read pods, and its NetworkPolicy
// reaches the API server. observability.otlpEndpoint: the services' endpoint and their egress.
// Each check is shown failing on a broken variant.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DASHBOARDS_DIR, renderDashboards } from '../../dashboards/index.ts';
import { validationCrds } from '../../dashboards/operator-crds.ts';
import { promtool, RULES_FILE } from '../../dashboards/rules.ts';
import { chartPrometheusFilesOf, withHttpSd } from '../../kube/observability.ts';
import { CHART_DIR, DEFAULT_RELEASE, helm, ofKind, render, renderText, type K8sObject, type RenderOptions } from '../../k8s/render.ts';
import { formatFailures, validateRenders } from '../../k8s/validate.ts';
import { field, podTemplates, serviceContainer, serviceDeployments, type PodSpec } from '../../k8s/workloads.ts';

const SERVICES = ['auth', 'cart', 'catalog'];
const OPERATOR: RenderOptions['set'] = {
  'monitoring.podMonitor.enabled': 'true',
  'monitoring.prometheusRule.enabled': 'true',
  'monitoring.grafanaDashboards.enabled': 'true',
  'monitoring.labels.release': 'kube-prometheus-stack',
};
const OBSERVABILITY = [join(CHART_DIR, 'ci/observability-values.yaml')];

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };

/** Whether a label selector selects these labels (In, NotIn, Exists, DoesNotExist). */
function selects(selector: Selector, labels: Record<string, string>): boolean {
  if (Object.entries(selector.matchLabels ?? {}).some(([k, v]) => labels[k] !== v)) return false;
  return (selector.matchExpressions ?? []).every((e) => {
    const has = e.key in labels;
    if (e.operator === 'In') return has && e.values!.includes(labels[e.key]!);
    if (e.operator === 'NotIn') return !has || !e.values!.includes(labels[e.key]!);
    return e.operator === 'Exists' ? has : !has;
  });
}

/** The components whose pods (or Services) a selector selects. */
function selected(objects: K8sObject[], of: 'pods' | 'services', selector: Selector): string[] {
  const candidates =
    of === 'pods'
      ? podTemplates(objects).map((t) => (field(t.owner, 'spec', 'template', 'metadata', 'labels') ?? t.owner.metadata.labels ?? {}) as Record<string, string>)
      : ofKind(objects, 'Service').map((s) => s.metadata.labels ?? {});
  return candidates.filter((labels) => selects(selector, labels)).map((labels) => labels['app.kubernetes.io/component']!).sort();
}
const selectorOf = (object: K8sObject | undefined): Selector => field(object, 'spec', 'selector') as Selector;

describe('PodMonitor and ServiceMonitor', () => {
  it('the PodMonitor selects the three services\' pods and nothing else, on the port every one of them names http', () => {
    const objects = render({ valuesFiles: OBSERVABILITY, set: OPERATOR, includeTests: true });
    const [monitor] = ofKind(objects, 'PodMonitor');
    expect(monitor, 'no PodMonitor rendered').toBeDefined();
    expect(selected(objects, 'pods', selectorOf(monitor))).toEqual(SERVICES);
    expect(field(monitor, 'spec', 'namespaceSelector')).toEqual({ matchNames: [DEFAULT_RELEASE] });
    expect(field(monitor, 'spec', 'podMetricsEndpoints')).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    for (const template of serviceDeployments(objects)) expect(serviceContainer(template)?.ports?.map((p) => p.name), template.ref).toContain('http');
    expect(monitor!.metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it('the ServiceMonitor selects the three services\' Services, not the observability ones', () => {
    const objects = render({ valuesFiles: OBSERVABILITY, set: { 'monitoring.serviceMonitor.enabled': 'true' } });
    const [monitor] = ofKind(objects, 'ServiceMonitor');
    expect(selected(objects, 'services', selectorOf(monitor))).toEqual(SERVICES);
    expect(field(monitor, 'spec', 'endpoints')).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
  });

  it('the selection check is not vacuous: a selector without the component rule takes Postgres, the cache and the observability pods', () => {
    const objects = render({ valuesFiles: OBSERVABILITY, set: OPERATOR });
    const monitor = structuredClone(ofKind(objects, 'PodMonitor')[0]!);
    delete (field(monitor, 'spec', 'selector') as Selector).matchExpressions;
    expect(selected(objects, 'pods', selectorOf(monitor))).toEqual(expect.arrayContaining([...SERVICES, 'postgres', 'valkey', 'prometheus', 'grafana']));
  });

  it('both monitors at once are refused: every series would be scraped twice', () => {
    const result = helm(['template', DEFAULT_RELEASE, CHART_DIR, '--namespace', DEFAULT_RELEASE, '--set', 'monitoring.podMonitor.enabled=true', '--set', 'monitoring.serviceMonitor.enabled=true']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('monitoring.podMonitor and monitoring.serviceMonitor are both enabled');
  });

  it('nothing of the operator\'s is rendered by default (its CRDs may not exist)', () => {
    const kinds = new Set(render({ valuesFiles: OBSERVABILITY }).map((o) => o.kind));
    for (const kind of ['PodMonitor', 'ServiceMonitor', 'PrometheusRule']) expect(kinds.has(kind)).toBe(false);
  });
});

describe('PrometheusRule and the chart\'s own Prometheus carry the rule file, scoped to the namespace', () => {
  const fileText = readFileSync(RULES_FILE, 'utf8');
  const scoped = (namespace: string) => parse(fileText.replaceAll('namespace!=""', `namespace="${namespace}"`)) as unknown;

  it('the PrometheusRule\'s spec is the rule file with namespace="<release namespace>" in every selector', () => {
    for (const namespace of [DEFAULT_RELEASE, 'shop']) {
      const [rule] = ofKind(render({ namespace, set: OPERATOR }), 'PrometheusRule');
      expect(rule!.spec).toEqual(scoped(namespace));
      expect(JSON.stringify(rule!.spec)).not.toContain('namespace!=');
    }
  });

  it('the chart\'s Prometheus loads the same rules, and promtool accepts its config and them', () => {
    const { config: prometheusYml, rules } = chartPrometheusFilesOf(render({ valuesFiles: OBSERVABILITY }));
    expect(parse(rules)).toEqual(scoped(DEFAULT_RELEASE));
    const dir = mkdtempSync(join(tmpdir(), 'anypod-promconfig-'));
    try {
      expect(prometheusYml.rule_files).toEqual(['/etc/prometheus/rules/anypod.rules.yaml']);
      writeFileSync(join(dir, 'anypod.rules.yaml'), rules);
      // Debian's promtool 2.42 is built without kubernetes_sd_configs: its discovery is swapped for
      // the http_sd the node's Prometheus uses (tools/kube/observability.ts); the rest is checked as rendered.
      const checkable = { ...prometheusYml, rule_files: [join(dir, 'anypod.rules.yaml')], scrape_configs: withHttpSd(prometheusYml.scrape_configs, 'http://127.0.0.1:1/targets') };
      writeFileSync(join(dir, 'prometheus.yml'), stringify(checkable));
      const checked = promtool(['check', 'config', 'prometheus.yml'], dir);
      expect(checked.status, checked.output).toBe(0);
      expect(checked.output).toMatch(/SUCCESS: \d+ rules found/);
      // shown failing: a relabelling promtool must refuse
      writeFileSync(join(dir, 'prometheus.yml'), readFileSync(join(dir, 'prometheus.yml'), 'utf8').replace('action: keep', 'action: keeep'));
      expect(promtool(['check', 'config', 'prometheus.yml'], dir).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('discovery is kubernetes_sd role pod in the release namespace, relabelled to namespace, pod and container', () => {
    const [job] = chartPrometheusFilesOf(render({ valuesFiles: OBSERVABILITY, namespace: 'shop' })).config.scrape_configs;
    expect(job!.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['shop'] } }]);
    const targets = (job!.relabel_configs as Array<{ source_labels?: string[]; target_label?: string }>).filter((r) => r.target_label).map((r) => [r.target_label, r.source_labels?.[0]]);
    expect(targets).toEqual([
      ['namespace', '__meta_kubernetes_namespace'],
      ['container', '__meta_kubernetes_pod_container_name'],
      ['pod', '__meta_kubernetes_pod_name'],
    ]);
  });
});

describe('the chart\'s own Prometheus talks to the API server, and only it', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render({ valuesFiles: OBSERVABILITY });
  });
  const pod = (component: string) => podTemplates(objects).find((t) => t.component === component)!.spec;

  it('its token is projected into its own container, an hour long; no other pod holds one', () => {
    const prometheus = pod('prometheus');
    expect(prometheus.automountServiceAccountToken).toBe(false);
    expect(prometheus.serviceAccountName).toBe(`${DEFAULT_RELEASE}-prometheus`);
    const token = prometheus.volumes!.find((v) => v.name === 'api-token') as unknown as { projected: { sources: Array<{ serviceAccountToken?: { expirationSeconds: number } }> } };
    expect(token.projected.sources.find((s) => s.serviceAccountToken)?.serviceAccountToken?.expirationSeconds).toBe(3600);
    const mounts = (spec: PodSpec) => spec.containers.flatMap((c) => (c as { volumeMounts?: Array<{ name: string; mountPath: string }> }).volumeMounts ?? []);
    expect(mounts(prometheus)).toContainEqual({ name: 'api-token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });
    for (const t of podTemplates(objects).filter((t) => t.component !== 'prometheus')) {
      expect(t.spec.automountServiceAccountToken, t.ref).toBe(false);
      expect(JSON.stringify(t.spec.volumes ?? []), t.ref).not.toContain('serviceAccountToken');
    }
  });

  it('its Role reads pods of the namespace and nothing else, bound to its ServiceAccount alone', () => {
    const [role] = ofKind(objects, 'Role');
    expect(field(role, 'rules')).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
    expect(ofKind(objects, 'ClusterRole')).toEqual([]);
    const [binding] = ofKind(objects, 'RoleBinding');
    expect(field(binding, 'subjects')).toEqual([{ kind: 'ServiceAccount', name: `${DEFAULT_RELEASE}-prometheus`, namespace: DEFAULT_RELEASE }]);
  });

  it('a NetworkPolicy lets Prometheus reach the API server (443, 6443; the given CIDRs only, when given)', () => {
    const policy = (o: K8sObject[]) => ofKind(o, 'NetworkPolicy').find((p) => p.metadata.name === `${DEFAULT_RELEASE}-prometheus-api`)!;
    expect(field(policy(objects), 'spec', 'podSelector', 'matchLabels', 'app.kubernetes.io/component')).toBe('prometheus');
    expect(field(policy(objects), 'spec', 'egress')).toEqual([{ ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }] }]);
    const limited = render({ valuesFiles: OBSERVABILITY, set: { 'networkPolicy.apiServer.cidrs[0]': '10.0.0.1/32', 'networkPolicy.apiServer.ports[0]': '16443' } });
    expect(field(policy(limited), 'spec', 'egress')).toEqual([{ ports: [{ port: 16443, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '10.0.0.1/32' } }] }]);
  });
});

describe('the dashboards ConfigMap', () => {
  const dashboards = (objects: K8sObject[]) => ofKind<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap').find((c) => c.metadata.name === `${DEFAULT_RELEASE}-dashboards`);

  it('holds every generated dashboard as committed, and the user\'s own; the chart\'s Grafana mounts it', () => {
    const objects = render({ valuesFiles: OBSERVABILITY });
    const map = dashboards(objects)!;
    const generated = renderDashboards();
    // the committed files, byte for byte (the dashboards test keeps them equal to the code)
    for (const file of generated.keys()) expect(map.data[file], file).toBe(readFileSync(join(DASHBOARDS_DIR, file), 'utf8'));
    expect(Object.keys(map.data).sort()).toEqual([...generated.keys(), 'placeholder.json'].sort());
    const grafana = podTemplates(objects).find((t) => t.component === 'grafana')!;
    expect(grafana.spec.volumes).toContainEqual({ name: 'dashboards', configMap: { name: `${DEFAULT_RELEASE}-dashboards` } });
  });

  it('is labelled for the Grafana sidecar only when monitoring.grafanaDashboards.enabled, and rendered for it without the chart\'s Grafana', () => {
    expect(dashboards(render({ set: { 'observability.enabled': 'true' } }))!.metadata.labels?.grafana_dashboard).toBeUndefined();
    const sidecar = dashboards(render({ set: OPERATOR }))!;
    expect(sidecar.metadata.labels).toMatchObject({ grafana_dashboard: '1', release: 'kube-prometheus-stack' });
    expect(sidecar.metadata.annotations).toEqual({ grafana_folder: 'anypod' });
    expect(dashboards(render())).toBeUndefined();
  });
});

describe('everything the monitoring values render is valid against the operator\'s CRDs (kubectl-validate)', () => {
  let crds: { dir: string; remove: () => void };
  beforeAll(() => {
    crds = validationCrds();
  });
  afterAll(() => crds?.remove());

  it('PodMonitor, PrometheusRule and the rest; ServiceMonitor', () => {
    const renders = [
      { label: 'podMonitor', input: renderText({ valuesFiles: OBSERVABILITY, set: OPERATOR }) },
      { label: 'serviceMonitor', input: renderText({ set: { 'monitoring.serviceMonitor.enabled': 'true' } }) },
    ];
    const { files, failures } = validateRenders(renders, crds.dir);
    expect(failures, formatFailures(failures)).toEqual([]);
    const kinds = new Set(files.map((f) => f.object.split('/')[0]));
    for (const kind of ['PodMonitor', 'ServiceMonitor', 'PrometheusRule', 'Role', 'RoleBinding', 'ServiceAccount']) expect(kinds).toContain(kind);
  });

  it('shown failing: a PodMonitor port given as a number and a rule group without rules are refused', () => {
    const objects = render({ set: OPERATOR });
    const monitor = structuredClone(ofKind(objects, 'PodMonitor')[0]!);
    (field(monitor, 'spec', 'podMetricsEndpoints') as Array<Record<string, unknown>>)[0]!.port = 3000;
    const rule = structuredClone(ofKind(objects, 'PrometheusRule')[0]!);
    (field(rule, 'spec', 'groups') as Array<Record<string, unknown>>)[0]!.rules = 'none';
    const { failures } = validateRenders([{ label: 'broken', input: [monitor, rule] }], crds.dir);
    expect([...new Set(failures.map((f) => f.object))].sort()).toEqual([`PodMonitor/${DEFAULT_RELEASE}-services`, `PrometheusRule/${DEFAULT_RELEASE}-rules`]);
  });
});

describe('observability.otlpEndpoint: traces to a collector outside the chart', () => {
  const OTLP = [join(CHART_DIR, 'ci/otlp-endpoint-values.yaml')];
  const otlpEnv = (objects: K8sObject[]) =>
    Object.fromEntries(serviceDeployments(objects).map((t) => [t.component, serviceContainer(t)?.env?.find((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')?.value]));
  const egress = (objects: K8sObject[]) => field(ofKind(objects, 'NetworkPolicy').find((p) => p.metadata.name === `${DEFAULT_RELEASE}-otlp-egress`), 'spec', 'egress');

  it('every service exports there; the chart runs no Jaeger; the services may reach it on its port, at the given CIDRs', () => {
    const objects = render({ valuesFiles: OTLP });
    expect(otlpEnv(objects)).toEqual({ auth: 'http://10.244.0.1:4318', cart: 'http://10.244.0.1:4318', catalog: 'http://10.244.0.1:4318' });
    expect(egress(objects)).toEqual([{ ports: [{ port: 4318, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '10.244.0.1/32' } }] }]);
    const policy = ofKind(objects, 'NetworkPolicy').find((p) => p.metadata.name === `${DEFAULT_RELEASE}-otlp-egress`)!;
    expect(selected(objects, 'pods', field(policy, 'spec', 'podSelector') as Selector)).toEqual(SERVICES);
    const withStack = render({ valuesFiles: [...OBSERVABILITY, ...OTLP] });
    expect(podTemplates(withStack).map((t) => t.component)).not.toContain('jaeger');
    expect(otlpEnv(withStack).cart).toBe('http://10.244.0.1:4318');
  });

  it('the port comes from the URL, else from its scheme; no endpoint, no variable and no policy', () => {
    expect(egress(render({ set: { 'observability.otlpEndpoint': 'http://collector.tracing:4319/otlp' } }))).toEqual([{ ports: [{ port: 4319, protocol: 'TCP' }] }]);
    expect(egress(render({ set: { 'observability.otlpEndpoint': 'https://otlp.example.com' } }))).toEqual([{ ports: [{ port: 443, protocol: 'TCP' }] }]);
    const none = render();
    expect(otlpEnv(none)).toEqual({ auth: undefined, cart: undefined, catalog: undefined });
    expect(egress(none)).toBeUndefined();
    expect(otlpEnv(render({ valuesFiles: OBSERVABILITY })).auth).toBe(`http://${DEFAULT_RELEASE}-jaeger:4318`);
  });

  it('an endpoint that is not an http(s) URL is refused by the schema', () => {
    const result = helm(['template', DEFAULT_RELEASE, CHART_DIR, '--set', 'observability.otlpEndpoint=10.244.0.1:4318']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('otlpEndpoint');
  });
});
