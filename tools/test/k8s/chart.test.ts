// The chart itself: `helm lint --strict` and `helm template` for the defaults and every
// helm/anypod/ci/*-values.yaml; every ci/invalid/*-values.yaml must fail with its message; the
// values schema is strict; the generated signing key is what auth accepts; the README's resource
// table is what the chart requests. Each check is shown failing (an invalid variant, a mutant).
import { createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHART_DIR, DEFAULT_RELEASE, helm, ofKind, render, type K8sObject } from '../../k8s/render.ts';
import { chartVariants } from '../../k8s/variants.ts';

const SERVICES = ['auth', 'catalog', 'cart'];

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
