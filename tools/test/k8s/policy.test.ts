// The policy over the rendered pods (tools/k8s/policy.ts): Pod Security "restricted", read-only
// roots, requests and limits, probes, pre-stop and grace budget, ≥ 3 replicas, maxUnavailable 0,
// POD_NAME, no service-account token, the connection budget. Holds for the defaults and every
// ci variant (helm test hooks included); each rule is shown failing on a render broken for it —
// edited in the test, and through values files (tools/test/k8s/fixtures) rendered by helm.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectionBudget, formatViolations, policyViolations, type PolicyOptions, type Violation } from '../../k8s/policy.ts';
import { CHART_DIR, DEFAULT_RELEASE, helm, parseObjects, render, type K8sObject } from '../../k8s/render.ts';
import { chartVariants, committedK8s, DEFAULTS, renderVariant, valuesOf, type Variant } from '../../k8s/variants.ts';
import { field, type PodSpec } from '../../k8s/workloads.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** For a release without its own Postgres: the external server's max_connections from the values, and Postgres' default 3 superuser slots. */
function optionsOf(variant: Variant): PolicyOptions {
  const postgres = (valuesOf(variant).postgres ?? {}) as { maxConnections?: number };
  return postgres.maxConnections === undefined ? {} : { externalPostgres: { maxConnections: postgres.maxConnections, reserved: 3, source: 'postgres.maxConnections (external)' } };
}

const rulesOf = (violations: Violation[]) => [...new Set(violations.map((v) => `${v.object} ${v.rule}`))].sort();

describe('policy over the rendered chart', () => {
  const variants = chartVariants();

  it.each(variants.map((v) => [v.label, v] as const))('%s: no pod breaks the policy', (_label, variant) => {
    const objects = renderVariant(variant);
    const violations = policyViolations(objects, optionsOf(variant));
    expect(violations, `policy violations in the ${variant.label} render (fix the chart's templates or values):\n${formatViolations(violations)}`).toEqual([]);
    const budget = connectionBudget(objects, optionsOf(variant).externalPostgres);
    const terms = budget.lines.map((l) => `${l.pods}×${l.poolSize}${l.migrate ? `+${l.migrate}` : ''}`).join(' + ');
    console.log(`${variant.label}: connection budget ${terms} = ${budget.needed} of ${budget.available} (max_connections ${budget.limits.maxConnections} - ${budget.limits.reserved} reserved)`);
  });
});

describe('policy over k8s/ as committed', () => {
  it('no pod in k8s/ breaks the policy', () => {
    const violations = policyViolations(committedK8s());
    expect(violations, `policy violations in k8s/ (fix the chart, then make k8s):\n${formatViolations(violations)}`).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Broken renders: each edit must produce exactly the violations listed, no more and no fewer.

type Edit = (objects: K8sObject[]) => void;

const find = (objects: K8sObject[], kind: string, component: string): K8sObject => {
  const object = objects.find((o) => o.kind === kind && o.metadata.labels?.['app.kubernetes.io/component'] === component);
  if (!object) throw new Error(`the render has no ${kind} of component ${component}: the mutant cannot be made`);
  return object;
};
const podOf = (object: K8sObject): PodSpec => (object.kind === 'Pod' ? object.spec : field(object, 'spec', 'template', 'spec')) as PodSpec;
const deployment = (objects: K8sObject[], component: string) => find(objects, 'Deployment', component);
const pod = (objects: K8sObject[], component: string) => podOf(deployment(objects, component));
const main = (objects: K8sObject[], component: string) => pod(objects, component).containers.find((c) => c.name === component)!;
const init = (objects: K8sObject[], component: string) => pod(objects, component).initContainers!.find((c) => c.name === 'migrate')!;
const setEnv = (objects: K8sObject[], component: string, name: string, value: string) => {
  const entry = main(objects, component).env!.find((e) => e.name === name);
  if (!entry) throw new Error(`${component} has no env ${name} to change`);
  entry.value = value;
};
const testPod = (objects: K8sObject[]) => {
  const object = objects.find((o) => o.kind === 'Pod' && o.metadata.annotations?.['helm.sh/hook'] === 'test');
  if (!object) throw new Error('the render has no helm test Pod');
  return object;
};

const MUTANTS: Array<[string, Edit, string[]]> = [
  ['runAsNonRoot removed from the pod and the container', (o) => { delete pod(o, 'auth').securityContext!.runAsNonRoot; delete main(o, 'auth').securityContext!.runAsNonRoot; }, ['Deployment/anypod-auth pss.runAsNonRoot']],
  ['the test pod runs as root', (o) => { (testPod(o).spec as PodSpec).securityContext!.runAsUser = 0; }, ['Pod/anypod-test-any-pod pss.runAsUser']],
  ['root at the pod level, though every container overrides it', (o) => {
    pod(o, 'catalog').securityContext!.runAsUser = 0;
    for (const c of [...pod(o, 'catalog').containers, ...pod(o, 'catalog').initContainers!]) c.securityContext!.runAsUser = 1000;
  }, ['Deployment/anypod-catalog pss.runAsUser']],
  ['allowPrivilegeEscalation true in the migrate init container', (o) => { init(o, 'cart').securityContext!.allowPrivilegeEscalation = true; }, ['Deployment/anypod-cart pss.allowPrivilegeEscalation']],
  ['capabilities not dropped', (o) => { main(o, 'catalog').securityContext!.capabilities = {}; }, ['Deployment/anypod-catalog pss.capabilities']],
  ['a capability added', (o) => { main(o, 'catalog').securityContext!.capabilities!.add = ['SYS_ADMIN']; }, ['Deployment/anypod-catalog pss.capabilities']],
  ['seccomp Unconfined on the pod', (o) => { pod(o, 'cart').securityContext!.seccompProfile = { type: 'Unconfined' }; delete main(o, 'cart').securityContext!.seccompProfile; }, ['Deployment/anypod-cart pss.seccompProfile']],
  ['a hostPath volume', (o) => { pod(o, 'auth').volumes!.push({ name: 'host', hostPath: { path: '/var/run' } }); }, ['Deployment/anypod-auth pss.hostPath']],
  ['hostNetwork', (o) => { pod(o, 'auth').hostNetwork = true; }, ['Deployment/anypod-auth pss.hostNamespaces']],
  ['a privileged container', (o) => { main(o, 'auth').securityContext!.privileged = true; }, ['Deployment/anypod-auth pss.privileged']],
  ['a hostPort', (o) => { main(o, 'auth').ports![0]!.hostPort = 3000; }, ['Deployment/anypod-auth pss.hostPorts']],
  ['a writable root filesystem in an init container', (o) => { init(o, 'auth').securityContext!.readOnlyRootFilesystem = false; }, ['Deployment/anypod-auth readOnlyRootFilesystem']],
  ['no memory limit on an init container', (o) => { delete init(o, 'catalog').resources!.limits!.memory; }, ['Deployment/anypod-catalog resources.limits']],
  ['no requests on the service container', (o) => { delete main(o, 'cart').resources!.requests; }, ['Deployment/anypod-cart resources.requests']],
  ['a service-account token mounted', (o) => { delete pod(o, 'catalog').automountServiceAccountToken; }, ['Deployment/anypod-catalog automountServiceAccountToken']],
  ['no startup probe', (o) => { delete main(o, 'auth').startupProbe; }, ['Deployment/anypod-auth probes.startupProbe']],
  ['no liveness probe', (o) => { delete main(o, 'cart').livenessProbe; }, ['Deployment/anypod-cart probes.livenessProbe']],
  ['no pre-stop sleep', (o) => { delete main(o, 'catalog').lifecycle; }, ['Deployment/anypod-catalog preStop.sleep']],
  ['a grace period shorter than pre-stop + shutdown timeout + margin', (o) => { pod(o, 'cart').terminationGracePeriodSeconds = 24; }, ['Deployment/anypod-cart graceBudget']],
  ['a shutdown timeout longer than the grace period allows', (o) => setEnv(o, 'auth', 'SHUTDOWN_TIMEOUT_MS', '21000'), ['Deployment/anypod-auth graceBudget']],
  ['cart\'s catalog calls allowed 5 s per attempt: a checkout can outlast the shutdown timeout', (o) => setEnv(o, 'cart', 'CATALOG_TIMEOUT_MS', '5000'), ['Deployment/anypod-cart shutdownBudget']],
  ['one replica and no HPA', (o) => { deployment(o, 'cart').spec = { ...(deployment(o, 'cart').spec as object), replicas: 1 }; o.splice(o.indexOf(find(o, 'HorizontalPodAutoscaler', 'cart')), 1); }, ['Deployment/anypod-cart replicas']],
  ['an HPA minimum of 2', (o) => { (find(o, 'HorizontalPodAutoscaler', 'auth').spec as { minReplicas: number }).minReplicas = 2; }, ['Deployment/anypod-auth replicas']],
  ['maxUnavailable 1', (o) => { (field(deployment(o, 'auth'), 'spec', 'strategy', 'rollingUpdate') as { maxUnavailable: number }).maxUnavailable = 1; }, ['Deployment/anypod-auth maxUnavailable']],
  ['POD_NAME from the node name', (o) => { main(o, 'catalog').env!.find((e) => e.name === 'POD_NAME')!.valueFrom = { fieldRef: { fieldPath: 'spec.nodeName' } }; }, ['Deployment/anypod-catalog POD_NAME']],
  ['a pool of 20 per cart replica', (o) => setEnv(o, 'cart', 'DB_POOL_SIZE', '20'), ['release connectionBudget']],
  ['Postgres max_connections 60', (o) => { podOf(find(o, 'StatefulSet', 'postgres')).containers[0]!.args = ['-c', 'max_connections=60']; }, ['release connectionBudget']],
];

describe('policy shown failing on broken renders', () => {
  let defaults: K8sObject[];
  beforeAll(() => {
    defaults = renderVariant(DEFAULTS);
  });

  it('the unbroken defaults pass (so every violation below comes from its edit)', () => {
    expect(formatViolations(policyViolations(defaults))).toBe('');
  });

  it.each(MUTANTS)('%s', (_name, edit, expected) => {
    const objects = structuredClone(defaults);
    edit(objects);
    const violations = policyViolations(objects);
    expect(rulesOf(violations), formatViolations(violations)).toEqual([...expected].sort());
    for (const v of violations) expect(v.message.length).toBeGreaterThan(20);
  });
});

describe('policy shown failing on a Namespace that does not enforce restricted', () => {
  it('ci/k8s-values.yaml with the enforce label set to baseline', () => {
    const variant = chartVariants().find((v) => v.label === 'ci/k8s-values.yaml');
    expect(variant, 'helm/anypod/ci/k8s-values.yaml (the k8s/ render, which creates the Namespace) is missing').toBeDefined();
    const objects = renderVariant(variant!);
    const namespace = objects.find((o) => o.kind === 'Namespace');
    expect(namespace, 'the k8s/ render creates no Namespace').toBeDefined();
    namespace!.metadata.labels = { ...namespace!.metadata.labels, 'pod-security.kubernetes.io/enforce': 'baseline' };
    const violations = policyViolations(objects, optionsOf(variant!));
    expect(rulesOf(violations), formatViolations(violations)).toEqual([`Namespace/${namespace!.metadata.name} pss.namespaceLabel`]);
  });
});

describe('policy shown failing on values files rendered by helm', () => {
  // The env overrides below are refused by values.schema.json (a free-form env entry may not set a
  // variable the chart sets), so they render only past it: the policy must hold on its own.
  const pastSchema = (file: string) => {
    expect(() => render({ valuesFiles: [fixture(file)] }), `the values schema should refuse ${file}`).toThrow(/invalid propertyName/);
    return render({ valuesFiles: [fixture(file)], skipSchemaValidation: true });
  };

  it('fixtures/grace-env-override-values.yaml: a SHUTDOWN_TIMEOUT_MS the chart\'s render-time rule cannot see', () => {
    // The chart checks its grace budget from shutdownTimeoutSeconds; an env entry that overrides
    // SHUTDOWN_TIMEOUT_MS (the later entry wins in Kubernetes) slips past it, not past the render check.
    const violations = policyViolations(pastSchema('grace-env-override-values.yaml'));
    expect(rulesOf(violations), formatViolations(violations)).toEqual(['Deployment/anypod-cart graceBudget']);
    expect(violations[0]!.message).toContain('SHUTDOWN_TIMEOUT_MS (30000 ms');
  });

  it('fixtures/pool-env-override-values.yaml: a DB_POOL_SIZE that breaks the connection budget', () => {
    const violations = policyViolations(pastSchema('pool-env-override-values.yaml'));
    expect(rulesOf(violations), formatViolations(violations)).toEqual(['release connectionBudget']);
  });

  it('fixtures/one-replica-values.yaml: one replica without an HPA, rendered past the values schema', () => {
    // values.schema.json refuses replicas < 3, so helm renders this only with its schema check
    // skipped: the policy holds on its own, whatever the values schema says.
    const file = fixture('one-replica-values.yaml');
    const refused = helm(['template', DEFAULT_RELEASE, CHART_DIR, '--namespace', DEFAULT_RELEASE, '--values', file]);
    expect(refused.status, 'the values schema should refuse replicas: 1').not.toBe(0);
    const rendered = helm(['template', DEFAULT_RELEASE, CHART_DIR, '--namespace', DEFAULT_RELEASE, '--values', file, '--skip-schema-validation']);
    expect(rendered.status, rendered.stderr).toBe(0);
    const violations = policyViolations(parseObjects(rendered.stdout));
    expect(rulesOf(violations), formatViolations(violations)).toEqual(['Deployment/anypod-auth replicas', 'Deployment/anypod-cart replicas', 'Deployment/anypod-catalog replicas']);
  });
});
