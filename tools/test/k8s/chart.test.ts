// The chart itself: `helm lint --strict` and `helm template` for the defaults and every
// helm/anypod/ci/*-values.yaml; every ci/invalid/*-values.yaml must fail with its message; the
// values schema is strict; the generated signing key is what auth accepts; the README's resource
// table is what the chart requests; the helm test hook's script passes and fails as it should;
// every values key is commented; the NetworkPolicies allow exactly the intended flows; Secrets
// survive an upgrade through helm's lookup. Each check is shown failing (an invalid variant, a
// mutant, a broken copy).
import { execFile, spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { goToolPath } from '../../go/go-tools.ts';
import { CHART_DIR, DEFAULT_RELEASE, helm, ofKind, parseObjects, render, type K8sObject } from '../../k8s/render.ts';
import { chartVariants } from '../../k8s/variants.ts';
import { SERVICE_NAMES } from '../../cluster/paths.ts';

const SERVICES = SERVICE_NAMES;
const execFileAsync = promisify(execFile);

function timed<T>(label: string, run: () => T): T {
  const started = performance.now();
  try {
    return run();
  } finally {
    console.log(`${label}: ${Math.round(performance.now() - started)} ms`);
  }
}

function lint(valuesFiles: string[], set: string[] = []) {
  const args = ['lint', CHART_DIR, '--strict', '--namespace', DEFAULT_RELEASE];
  for (const file of valuesFiles) args.push('--values', file);
  for (const pair of set) args.push('--set', pair);
  return helm(args);
}

function template(valuesFiles: string[], set: string[] = []) {
  const args = ['template', DEFAULT_RELEASE, CHART_DIR, '--namespace', DEFAULT_RELEASE];
  for (const file of valuesFiles) args.push('--values', file);
  for (const pair of set) args.push('--set', pair);
  return helm(args);
}

describe('helm lint --strict and helm template', () => {
  it.each(chartVariants().map((v) => [v.label, v.valuesFiles] as const))('%s', (label, files) => {
    const linted = timed(`helm lint ${label}`, () => lint(files));
    expect(linted.status, `helm lint --strict ${label}:\n${linted.stdout}\n${linted.stderr}`).toBe(0);
    expect(linted.stdout).not.toMatch(/\[(ERROR|WARNING)\]/);
    const objects = timed(`helm template ${label}`, () => render({ valuesFiles: files, includeTests: true }));
    const deployments = ofKind(objects, 'Deployment').map((d) => d.metadata.name);
    for (const service of SERVICES) expect(deployments).toContain(`${DEFAULT_RELEASE}-${service}`);
    for (const object of objects) {
      if (object.kind === 'Namespace') continue;
      expect(object.metadata.namespace, `${object.kind}/${object.metadata.name} must name its namespace (kubectl apply -f k8s/ has no -n)`).toBe(DEFAULT_RELEASE);
      expect(object.metadata.labels?.['app.kubernetes.io/instance'], `${object.kind}/${object.metadata.name}`).toBe(DEFAULT_RELEASE);
    }
  });

  it('lint fails on a values key the schema does not know (the schema is strict), and on replicas below 3', () => {
    const unknown = lint([], ['serviceDefaults.replicaz=3']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stdout + unknown.stderr).toMatch(/replicaz/);
    const two = template([], ['services.cart.replicas=2']);
    expect(two.status).not.toBe(0);
    expect(two.stderr).toMatch(/replicas/);
  });
});

describe('values the chart must refuse (ci/invalid)', () => {
  const dir = join(CHART_DIR, 'ci/invalid');
  const expected: Record<string, RegExp> = {
    'connection-budget-values.yaml': /connection budget exceeded: the services may open 336 Postgres connections .* leaves 90/,
    'grace-budget-values.yaml': /terminationGracePeriodSeconds \(10\) must be at least preStopSleepSeconds \(3\) \+ shutdownTimeoutSeconds \(20\) \+ 2 s margin/,
  };

  it('every invalid variant has an expected message here', () => {
    expect(readdirSync(dir).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s fails with its message', (file, message) => {
    const result = template([join(dir, file)]);
    expect(result.status, `ci/invalid/${file} rendered but must fail`).not.toBe(0);
    expect(result.stderr).toMatch(message);
    // (helm lint cannot show this: in lint mode Helm downgrades `fail` to an [INFO] line and
    // exits 0, so that charts with required values still lint. install and template do fail.)
  });

  it('the connection budget is exact at its edge: 78 connections fit 88 - 10 reserved, not 87 - 10', () => {
    // defaults: 3 services x (HPA max 5 + surge 1) x pool 4 = 72, + 2 migrate each = 78
    expect(template([], ['postgres.maxConnections=88']).status).toBe(0);
    const over = template([], ['postgres.maxConnections=87']);
    expect(over.status).not.toBe(0);
    expect(over.stderr).toMatch(/may open 78 Postgres connections .* leaves 77/);
  });

  it('a free-form env entry may not set a variable the chart sets itself (it would win and slip past the budgets)', () => {
    for (const [set, name] of [['serviceDefaults.env.DB_POOL_SIZE=50', 'DB_POOL_SIZE'], ['services.cart.env.SHUTDOWN_TIMEOUT_MS=60000', 'SHUTDOWN_TIMEOUT_MS'], ['services.auth.env.PORT=8080', 'PORT']] as const) {
      const result = template([], [set]);
      expect(result.status, `${set} rendered but must be refused`).not.toBe(0);
      expect(result.stderr).toContain(`invalid propertyName '${name}'`);
    }
    expect(template([], ['services.cart.env.CATALOG_RETRIES=3']).status).toBe(0);
  });

  it('a service on another port is called on that port by the services that call it', () => {
    const objects = render({ set: { 'services.auth.port': '8081', 'services.catalog.port': '8082' } });
    const env = (component: string) =>
      ofKind<K8sObject & { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } }>(objects, 'Deployment')
        .find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === component)!
        .spec.template.spec.containers[0]!.env;
    expect(env('cart').find((e) => e.name === 'CATALOG_URL')?.value).toBe(`http://${DEFAULT_RELEASE}-catalog:8082`);
    for (const caller of ['catalog', 'cart']) {
      expect(env(caller).find((e) => e.name === 'AUTH_JWKS_URL')?.value).toBe(`http://${DEFAULT_RELEASE}-auth:8081/auth/.well-known/jwks.json`);
    }
  });

  it('an external Postgres without a host, and an existing Gateway without a name, are refused', () => {
    expect(template([], ['postgres.enabled=false']).stderr).toMatch(/set postgres.external.host/);
    expect(template([], ['gateway.create=false']).stderr).toMatch(/set gateway.parentRef.name/);
  });
});

describe('secrets', () => {
  const secrets = (objects: K8sObject[]) => ofKind<K8sObject & { data?: Record<string, string> }>(objects, 'Secret');

  it('helm install generates an ES256 (P-256) signing key that Node parses, a refresh secret and a database URL', () => {
    const [auth, postgres] = [`${DEFAULT_RELEASE}-auth-keys`, `${DEFAULT_RELEASE}-postgres`].map((name) => secrets(render()).find((s) => s.metadata.name === name));
    const pem = Buffer.from(auth!.data!['jwt-private-key']!, 'base64').toString('utf8');
    expect(pem).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(Buffer.from(auth!.data!['refresh-token-secret']!, 'base64').toString().length).toBeGreaterThanOrEqual(32);
    const password = Buffer.from(postgres!.data!.password!, 'base64').toString();
    expect(Buffer.from(postgres!.data!['database-url']!, 'base64').toString()).toBe(`postgresql://anypod:${password}@${DEFAULT_RELEASE}-postgres:5432/anypod`);
  });

  it('secrets.create false renders no Secret, and the pods still refer to the same names', () => {
    const objects = render({ set: { 'secrets.create': 'false' } });
    expect(secrets(objects)).toEqual([]);
    const auth = ofKind(objects, 'Deployment').find((d) => d.metadata.name === `${DEFAULT_RELEASE}-auth`)!;
    const refs = JSON.stringify(auth).match(/"name":"anypod-(auth-keys|postgres)"/g);
    expect(new Set(refs)).toEqual(new Set(['"name":"anypod-auth-keys"', '"name":"anypod-postgres"']));
  });
});

/** CPU in millicores and memory in MiB from Kubernetes quantities (the forms the chart uses). */
const millicores = (q: string | number) => (typeof q === 'number' ? q * 1000 : q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);
const mebibytes = (q: string) => {
  const match = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!match) throw new Error(`memory quantity ${q} is not in Mi or Gi`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
};

interface Totals { cpuRequests: number; memoryRequests: number; cpuLimits: number; memoryLimits: number; pods: number }

interface Resources { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } }
interface Workload { replicas: number; template: { spec: { containers: Array<{ resources: Resources }>; initContainers?: Array<{ resources: Resources }> } } }

/** Σ over the workloads' pods of max(the largest init container, the sum of the containers) — the scheduler's effective request. */
export function releaseTotals(objects: K8sObject[]): Totals {
  const totals: Totals = { cpuRequests: 0, memoryRequests: 0, cpuLimits: 0, memoryLimits: 0, pods: 0 };
  for (const workload of objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')) {
    const spec = workload.spec as Workload;
    const add = (pick: (r: Resources) => number) => {
      const sum = spec.template.spec.containers.reduce((a, c) => a + pick(c.resources), 0);
      const init = Math.max(0, ...(spec.template.spec.initContainers ?? []).map((c) => pick(c.resources)));
      return spec.replicas * Math.max(sum, init);
    };
    totals.cpuRequests += add((r) => millicores(r.requests.cpu));
    totals.memoryRequests += add((r) => mebibytes(r.requests.memory));
    totals.cpuLimits += add((r) => millicores(r.limits.cpu));
    totals.memoryLimits += add((r) => mebibytes(r.limits.memory));
    totals.pods += spec.replicas;
  }
  return totals;
}

describe('helm/anypod/README.md says what the release requests', () => {
  it('its total row is the sum over the rendered defaults', () => {
    const totals = releaseTotals(render());
    console.log(`release at defaults: ${totals.pods} pods, requests ${totals.cpuRequests}m / ${totals.memoryRequests}Mi, limits ${totals.cpuLimits}m / ${totals.memoryLimits}Mi`);
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith('| **total**'));
    expect(row, 'README has no "| **total**" row').toBeDefined();
    expect(row).toContain(`**${totals.pods}**`);
    expect(row).toContain(`${totals.cpuRequests}m / ${totals.memoryRequests}Mi`);
    expect(row).toContain(`${totals.cpuLimits / 1000} / ${totals.memoryLimits}Mi`);
  });

  it('the sum moves when the chart does (a mutant: one more replica of cart)', () => {
    const base = releaseTotals(render());
    const more = releaseTotals(render({ set: { 'services.cart.replicas': '4' } }));
    expect(more.memoryRequests - base.memoryRequests).toBe(192);
    expect(more.pods - base.pods).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// The helm test hook's script, run here with Node against local servers that answer like one or
// several pods: it must pass only when each service answered from enough pods, without errors.

describe('the helm test hook (templates/tests/any-pod.yaml)', () => {
  const hook = render({ includeTests: true }).find((o) => o.kind === 'Pod' && o.metadata.annotations?.['helm.sh/hook'] === 'test');
  const container = (hook?.spec as { containers: Array<{ command: string[]; image: string; env: Array<{ name: string; value: string }> }> } | undefined)?.containers[0];

  /** Serves GET with an X-Served-By from `pods` in turn (each request comes on a new connection), or a status. */
  async function server(pods: string[], status = 200): Promise<{ url: string; close: () => Promise<void> }> {
    let next = 0;
    const srv = createServer((_req, res) => {
      res.writeHead(status, { 'x-served-by': pods[next++ % pods.length]! });
      res.end('{"status":"ok"}');
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const { port } = srv.address() as { port: number };
    return { url: `http://127.0.0.1:${port}/readyz`, close: () => new Promise((resolve) => srv.close(() => resolve())) };
  }

  async function runHook(targets: Array<{ service: string; url: string }>): Promise<{ code: number; output: string }> {
    const env = Object.fromEntries(container!.env.map((e) => [e.name, e.value]));
    const [node, ...args] = container!.command;
    expect(node).toBe('node');
    const child = spawn(process.execPath, args, { env: { ...env, TARGETS: JSON.stringify(targets), PATH: process.env.PATH ?? '' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
    return { code, output };
  }

  it('uses the project\'s own image, so nothing is pulled', () => {
    expect(container?.image).toBe('anypod/cart:0.3.0');
    const targets = JSON.parse(container!.env.find((e) => e.name === 'TARGETS')!.value) as Array<{ url: string }>;
    expect(targets.map((t) => t.url)).toEqual(SERVICES.slice().sort().map((s) => `http://${DEFAULT_RELEASE}-${s}:3000/readyz`));
  });

  it('passes when every service answers from several pods', async () => {
    const servers = await Promise.all([server(['a-1', 'a-2', 'a-3']), server(['c-1', 'c-2'])]);
    try {
      const result = await runHook([{ service: 'auth', url: servers[0].url }, { service: 'cart', url: servers[1].url }]);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toMatch(/ok {3}auth: 30 requests, 0 failed, served by 3 pods/);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  it('fails when one service answers from one pod only, or with errors', async () => {
    const servers = await Promise.all([server(['a-1', 'a-2']), server(['c-1']), server(['k-1', 'k-2'], 503)]);
    try {
      const result = await runHook([
        { service: 'auth', url: servers[0].url },
        { service: 'cart', url: servers[1].url },
        { service: 'catalog', url: servers[2].url },
      ]);
      expect(result.code, result.output).toBe(1);
      expect(result.output).toMatch(/FAIL cart: 30 requests, 0 failed, served by 1 pods \(need 2\)/);
      expect(result.output).toMatch(/FAIL catalog: 30 requests, 30 failed/);
      expect(result.output).toMatch(/ok {3}auth/);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// values.yaml: every key has a comment on the line above it (style.md), shown failing on a copy
// with one comment removed.

/** Keys of a values file without a `#` comment line directly above them. */
export function uncommentedKeys(text: string): string[] {
  const lines = text.split('\n');
  const missing: string[] = [];
  lines.forEach((line, i) => {
    const key = /^(\s*)([A-Za-z0-9_./-]+):/.exec(line);
    if (!key) return;
    const above = lines[i - 1] ?? '';
    if (!/^\s*#/.test(above)) missing.push(`line ${i + 1}: ${key[2]}`);
  });
  return missing;
}

describe('values.yaml documents every key', () => {
  const text = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');

  it('every key has a one-line comment above it', () => {
    expect(uncommentedKeys(text)).toEqual([]);
  });

  it('a key whose comment was removed is named', () => {
    const broken = text.replace('  # pods per service; 3 so one can be deleted, one can be rolling and one still serves\n', '');
    expect(broken).not.toBe(text);
    expect(uncommentedKeys(broken)).toEqual([expect.stringMatching(/: replicas$/)]);
  });
});

// ---------------------------------------------------------------------------------------------
// NetworkPolicies as a user meets them: a small evaluator of the NetworkPolicy rules (pod and
// namespace selectors, named and numbered ports, policy types) asks whether a connection from one
// pod to another would be allowed by the rendered policies. Shown failing on a render without them.

type Selector = { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };
interface Peer { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: unknown }
interface PortRule { port?: number | string; protocol?: string }
interface Rule { from?: Peer[]; to?: Peer[]; ports?: PortRule[] }
interface Policy { podSelector: Selector; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] }
interface PodView { name: string; namespace: string; namespaceLabels: Record<string, string>; labels: Record<string, string>; ports: Record<string, number> }

function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    if (e.operator === 'In' && !(has && e.values!.includes(labels[e.key]!))) return false;
    if (e.operator === 'NotIn' && has && e.values!.includes(labels[e.key]!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function peerMatches(peer: Peer, other: PodView, policyNamespace: string): boolean {
  if (peer.ipBlock) return false; // CIDRs are outside the cluster's pods here
  if (peer.namespaceSelector) return selects(peer.namespaceSelector, other.namespaceLabels) && selects(peer.podSelector, other.labels);
  return other.namespace === policyNamespace && selects(peer.podSelector, other.labels);
}

function portMatches(rules: PortRule[] | undefined, dst: PodView, port: number, protocol: string): boolean {
  if (!rules || rules.length === 0) return true;
  return rules.some((r) => (r.protocol ?? 'TCP') === protocol && (r.port === undefined || r.port === port || (typeof r.port === 'string' && dst.ports[r.port] === port)));
}

function allowed(objects: K8sObject[], src: PodView, dst: PodView, port: number, protocol = 'TCP'): boolean {
  const policies = ofKind(objects, 'NetworkPolicy').map((p) => ({ ns: p.metadata.namespace!, spec: p.spec as Policy }));
  const side = (pod: PodView, type: 'Ingress' | 'Egress', other: PodView) => {
    const applying = policies.filter((p) => p.ns === pod.namespace && p.spec.policyTypes.includes(type) && selects(p.spec.podSelector, pod.labels));
    if (applying.length === 0) return true;
    return applying.some((p) =>
      ((type === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []).some((rule) => {
        const peers = type === 'Ingress' ? rule.from : rule.to;
        const peerOk = !peers || peers.length === 0 || peers.some((peer) => peerMatches(peer, other, p.ns));
        return peerOk && portMatches(rule.ports, dst, port, protocol);
      }),
    );
  };
  return side(src, 'Egress', dst) && side(dst, 'Ingress', src);
}

/** The release's pods as the policies see them (template labels, named container ports), plus pods outside it. */
function podsOf(objects: K8sObject[]): Record<string, PodView> {
  const ns = { namespace: DEFAULT_RELEASE, namespaceLabels: { 'kubernetes.io/metadata.name': DEFAULT_RELEASE } };
  const pods: Record<string, PodView> = {};
  for (const o of objects) {
    const template = o.kind === 'Pod' ? { metadata: o.metadata, spec: o.spec } : (o.spec as { template?: { metadata: { labels: Record<string, string> }; spec: unknown } } | undefined)?.template;
    if (!template || !['Deployment', 'StatefulSet', 'Pod'].includes(o.kind)) continue;
    const spec = template.spec as { containers: Array<{ ports?: Array<{ name?: string; containerPort: number }> }> };
    const ports = Object.fromEntries(spec.containers.flatMap((c) => c.ports ?? []).filter((p) => p.name).map((p) => [p.name!, p.containerPort]));
    const labels = template.metadata.labels ?? {};
    pods[labels['app.kubernetes.io/component']!] = { name: o.metadata.name, ...ns, labels, ports };
  }
  pods.traefik = { name: 'traefik', namespace: 'traefik', namespaceLabels: { 'kubernetes.io/metadata.name': 'traefik' }, labels: { 'app.kubernetes.io/name': 'traefik' }, ports: {} };
  pods.dns = { name: 'coredns', namespace: 'kube-system', namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' }, labels: { 'k8s-app': 'kube-dns' }, ports: {} };
  pods.stranger = { name: 'stranger', namespace: 'default', namespaceLabels: { 'kubernetes.io/metadata.name': 'default' }, labels: { app: 'other' }, ports: {} };
  pods.neighbour = { name: 'neighbour', ...ns, labels: { app: 'not-anypod' }, ports: {} };
  return pods;
}

const FLOWS_ALLOWED: Array<[string, string, number, string?]> = [
  ['traefik', 'auth', 3000], ['traefik', 'catalog', 3000], ['traefik', 'cart', 3000],
  ['cart', 'catalog', 3000], ['cart', 'auth', 3000], ['catalog', 'auth', 3000],
  ['auth', 'postgres', 5432], ['catalog', 'postgres', 5432], ['cart', 'postgres', 5432],
  ['auth', 'valkey', 6379], ['catalog', 'valkey', 6379], ['cart', 'valkey', 6379],
  ['test', 'auth', 3000], ['test', 'catalog', 3000], ['test', 'cart', 3000],
  ['auth', 'dns', 53, 'UDP'], ['cart', 'dns', 53, 'TCP'], ['postgres', 'dns', 53, 'UDP'],
];
const FLOWS_DENIED: Array<[string, string, number, string?]> = [
  ['catalog', 'cart', 3000], ['auth', 'catalog', 3000], ['auth', 'cart', 3000],
  ['traefik', 'postgres', 5432], ['traefik', 'valkey', 6379], ['stranger', 'auth', 3000], ['neighbour', 'catalog', 3000],
  ['postgres', 'auth', 3000], ['valkey', 'postgres', 5432], ['cart', 'postgres', 6379], ['test', 'postgres', 5432],
  ['auth', 'stranger', 443], ['auth', 'dns', 80],
];

describe('NetworkPolicies: default deny, then only the flows the services need', () => {
  const flow = ([from, to, port, protocol]: [string, string, number, string?]) => `${from} -> ${to}:${port}${protocol ? `/${protocol}` : ''}`;

  it('the defaults allow exactly the listed flows and deny the others', () => {
    const objects = render({ includeTests: true });
    const pods = podsOf(objects);
    const verdict = (f: [string, string, number, string?]) => allowed(objects, pods[f[0]]!, pods[f[1]]!, f[2], f[3]);
    expect(FLOWS_ALLOWED.filter((f) => !verdict(f)).map(flow), 'flows that should be allowed').toEqual([]);
    expect(FLOWS_DENIED.filter((f) => verdict(f)).map(flow), 'flows that should be denied').toEqual([]);
  });

  it('with observability on, traces reach Jaeger and Prometheus scrapes the services', () => {
    const objects = render({ includeTests: true, valuesFiles: [join(CHART_DIR, 'ci/observability-values.yaml')] });
    const pods = podsOf(objects);
    expect(allowed(objects, pods.cart!, pods.jaeger!, 4318)).toBe(true);
    expect(allowed(objects, pods.prometheus!, pods.catalog!, 3000)).toBe(true);
    expect(allowed(objects, pods.grafana!, pods.prometheus!, 9090)).toBe(true);
    expect(allowed(objects, pods.traefik!, pods.grafana!, 3000)).toBe(false);
  });

  it('the evaluator is not vacuous: without the policies every denied flow goes through', () => {
    const objects = render({ includeTests: true, set: { 'networkPolicy.enabled': 'false' } });
    const pods = podsOf(objects);
    expect(FLOWS_DENIED.filter((f) => !allowed(objects, pods[f[0]]!, pods[f[1]]!, f[2], f[3])).map(flow)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Secrets kept across upgrades: the chart's `lookup` runs in real helm (`helm template
// --dry-run=server`, which performs lookups) against a stand-in API server on loopback that
// serves discovery and the Secrets a previous install left. No cluster is needed, and what is
// tested is the chart's reuse logic as helm executes it.

describe('secrets survive an upgrade (lookup)', () => {
  async function withApiServer<T>(secrets: Record<string, Record<string, string>>, run: (kubeconfig: string, seen: string[]) => Promise<T>): Promise<T> {
    const seen: string[] = [];
    const json = (res: ServerResponse, code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const srv = createServer((req, res) => {
      const path = new URL(req.url!, 'http://api').pathname;
      seen.push(`${req.method} ${path}`);
      if (path === '/version') return json(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0', platform: 'linux/amd64' });
      if (path === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
      if (path === '/apis') return json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
      if (path === '/api/v1') return json(res, 200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: ['get'] }] });
      const match = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(path);
      if (match && secrets[match[2]!] && match[1] === DEFAULT_RELEASE) {
        const data = Object.fromEntries(Object.entries(secrets[match[2]!]!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
        return json(res, 200, { apiVersion: 'v1', kind: 'Secret', metadata: { name: match[2], namespace: match[1] }, type: 'Opaque', data });
      }
      return json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const { port } = srv.address() as { port: number };
    const dir = mkdtempSync(join(tmpdir(), 'anypod-lookup-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: stand-in, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: stand-in, user: {}}]\ncontexts: [{name: stand-in, context: {cluster: stand-in, user: stand-in}}]\ncurrent-context: stand-in\n`);
    try {
      return await run(kubeconfig, seen);
    } finally {
      await new Promise<void>((resolve) => srv.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** helm template --dry-run=server (lookups allowed) of the chart's Secrets, as decoded data by Secret name. */
  async function renderSecrets(kubeconfig: string): Promise<Record<string, Record<string, string>>> {
    // async on purpose: the stand-in API server answers from this process's event loop
    const { stdout } = await execFileAsync(goToolPath('helm'), ['template', DEFAULT_RELEASE, CHART_DIR, '--namespace', DEFAULT_RELEASE, '--dry-run=server', '--show-only', 'templates/secrets.yaml'], {
      env: { ...process.env, KUBECONFIG: kubeconfig, HELM_CACHE_HOME: '/tmp/anypod-helm/cache', HELM_CONFIG_HOME: '/tmp/anypod-helm/config', HELM_DATA_HOME: '/tmp/anypod-helm/data' },
    });
    return Object.fromEntries(
      parseObjects(stdout).map((s) => [s.metadata.name, Object.fromEntries(Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]))]),
    );
  }

  it('every key of an existing Secret is carried over (a rotation\'s next key too); only missing keys are generated', async () => {
    const previous = {
      'anypod-auth-keys': { 'jwt-private-key': 'THE-INSTALLED-KEY', 'jwt-next-private-key': 'A-ROTATION-IN-PROGRESS', 'jwt-additional-public-keys': 'OLD-PUBLIC' },
      'anypod-postgres': { password: 'installed-password', 'database-url': 'postgresql://anypod:installed-password@anypod-postgres:5432/anypod' },
    };
    await withApiServer(previous, async (kubeconfig, seen) => {
      const upgraded = await renderSecrets(kubeconfig);
      expect(seen).toContain('GET /api/v1/namespaces/anypod/secrets/anypod-auth-keys');
      expect(upgraded['anypod-postgres']).toEqual(previous['anypod-postgres']);
      const { 'refresh-token-secret': generated, ...kept } = upgraded['anypod-auth-keys']!;
      expect(kept).toEqual(previous['anypod-auth-keys']);
      expect(generated).toMatch(/^[A-Za-z0-9]{48}$/);
    });
  });

  it('a first install (nothing to look up) generates everything, differently on every render', async () => {
    await withApiServer({}, async (kubeconfig) => {
      const [first, second] = [await renderSecrets(kubeconfig), await renderSecrets(kubeconfig)];
      expect(first['anypod-auth-keys']!['jwt-private-key']).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
      expect(first['anypod-auth-keys']!['jwt-private-key']).not.toBe(second['anypod-auth-keys']!['jwt-private-key']);
      expect(first['anypod-postgres']!.password).not.toBe(second['anypod-postgres']!.password);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// NOTES.txt: helm renders it only on install (which needs a cluster), so a copy of the chart
// carries it inside a ConfigMap template and `helm template` renders that.

describe('NOTES.txt', () => {
  async function notes(set: string[] = []): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'anypod-notes-'));
    try {
      const chart = join(dir, 'anypod');
      cpSync(CHART_DIR, chart, { recursive: true });
      const text = readFileSync(join(chart, 'templates/NOTES.txt'), 'utf8');
      rmSync(join(chart, 'templates/NOTES.txt'));
      const indented = text.split('\n').map((line) => `    ${line}`).join('\n');
      writeFileSync(join(chart, 'templates/notes-as-configmap.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: |\n${indented}\n`);
      const args = ['template', DEFAULT_RELEASE, chart, '--namespace', DEFAULT_RELEASE, '--show-only', 'templates/notes-as-configmap.yaml'];
      for (const pair of set) args.push('--set', pair);
      const result = helm(args);
      expect(result.status, result.stderr).toBe(0);
      return (parseObjects(result.stdout)[0] as K8sObject & { data: { notes: string } }).data.notes;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('prints the routes at publicUrl, the helm test command and, when asked for, observability and the stateful warning', async () => {
    const quickstart = await notes(['publicUrl=http://localhost:8080']);
    expect(quickstart).toContain('http://localhost:8080/catalog/products');
    expect(quickstart).toContain('helm test anypod -n anypod --logs');
    expect(quickstart).not.toContain('STATEFUL');
    const demo = await notes(['config.stateStore=memory', 'sticky.enabled=true', 'observability.enabled=true', 'gateway.enabled=false', 'ingress.enabled=true']);
    expect(demo).toContain('the Ingress (class traefik)');
    expect(demo).toContain('port-forward svc/anypod-grafana');
    expect(demo).toContain('port-forward svc/anypod-jaeger');
    // With a collector of the user's, the chart runs no Jaeger: no port-forward to one.
    const external = await notes(['observability.enabled=true', 'observability.otlpEndpoint=http://10.0.0.1:4318']);
    expect(external).not.toContain('svc/anypod-jaeger');
    expect(external).toContain('traces go to http://10.0.0.1:4318');
    expect(demo).toMatch(/deliberately STATEFUL demonstration mode.*\n.*anypod_sticky/);
  });
});
