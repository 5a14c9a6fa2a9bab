// The contract between the chart and the services (tools/k8s/contract.ts): what the chart sets is
// what the services read, ports agree, probe paths are routes the apps register, and the
// HTTPRoute/Ingress prefixes reach the service that serves them. The services' side is read from
// the real thing: each exported ServiceConfig, and each app built as its own tests build it, for
// its routes and its OpenAPI document (tools/k8s/service-surface.ts).
// Shown failing on renders broken in the test and on values files rendered by helm.
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { contractViolations, type ServiceSurface } from '../../k8s/contract.ts';
import { formatViolations, type Violation } from '../../k8s/policy.ts';
import { render, type K8sObject } from '../../k8s/render.ts';
import { serviceSurfaces } from '../../k8s/service-surface.ts';
import { chartVariants, committedK8s, DEFAULTS, renderVariant } from '../../k8s/variants.ts';
import { field, type PodSpec } from '../../k8s/workloads.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const rulesOf = (violations: Violation[]) => [...new Set(violations.map((v) => `${v.object} ${v.rule}`))].sort();

let surfaces: ServiceSurface[];
beforeAll(async () => {
  const started = Date.now();
  try {
    surfaces = await serviceSurfaces();
  } catch (error) {
    throw new Error(
      `the contract test builds each service's real app (services/*/src/app.ts) to read its routes and OpenAPI document, and that failed: ${(error as Error).message}\n` +
        'run `make build` / `pnpm install` if a dependency is missing; the app must build as in the service\'s own tests (services/*/test/helper.ts)',
      { cause: error },
    );
  }
  console.log(`built auth, catalog and cart for their routes and OpenAPI documents in ${Date.now() - started} ms`);
});

describe('what the services declare', () => {
  it('each service serves an OpenAPI document under its prefix, and the platform health routes', () => {
    for (const surface of surfaces) {
      expect(surface.openapiUrl).toBe(`/${surface.component}/openapi.json`);
      expect(surface.openapiPaths.length, `${surface.component}'s OpenAPI document lists no paths`).toBeGreaterThan(0);
      for (const path of ['/healthz', '/readyz']) expect(surface.routes, `${surface.component} registers no GET ${path}`).toContainEqual({ method: 'GET', url: path });
    }
  });
});

describe('the chart keeps the services\' contract', () => {
  it.each(chartVariants().map((v) => [v.label, v] as const))('%s', (_label, variant) => {
    const violations = contractViolations(renderVariant(variant), surfaces);
    expect(violations, `the ${variant.label} render breaks the services' contract:\n${formatViolations(violations)}`).toEqual([]);
  });
});

describe('k8s/ as committed keeps the services\' contract', () => {
  it('k8s/', () => {
    const violations = contractViolations(committedK8s(), surfaces);
    expect(violations, `k8s/ breaks the services' contract (fix the chart, then make k8s):\n${formatViolations(violations)}`).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

type Edit = (objects: K8sObject[]) => void;

const byName = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!object) throw new Error(`the render has no ${kind}/${name}: the mutant cannot be made`);
  return object;
};
const main = (objects: K8sObject[], component: string) =>
  (field(byName(objects, 'Deployment', `anypod-${component}`), 'spec', 'template', 'spec') as PodSpec).containers.find((c) => c.name === component)!;
const initOf = (objects: K8sObject[], component: string) =>
  (field(byName(objects, 'Deployment', `anypod-${component}`), 'spec', 'template', 'spec') as PodSpec).initContainers!.find((c) => c.name === 'migrate')!;
const env = (objects: K8sObject[], component: string, name: string) => {
  const entry = main(objects, component).env!.find((e) => e.name === name);
  if (!entry) throw new Error(`${component} has no env ${name}`);
  return entry;
};

const MUTANTS: Array<[string, Edit, string[]]> = [
  ['JWT_PRIVATE_KEY renamed to JWT_SIGNING_KEY', (o) => { env(o, 'auth', 'JWT_PRIVATE_KEY').name = 'JWT_SIGNING_KEY'; }, ['Deployment/anypod-auth contract.env.required', 'Deployment/anypod-auth contract.env.unknown']],
  ['CATALOG_URL missing from cart', (o) => { const c = main(o, 'cart'); c.env = c.env!.filter((e) => e.name !== 'CATALOG_URL'); }, ['Deployment/anypod-cart contract.env.required']],
  ['a required Secret key made optional', (o) => { env(o, 'auth', 'REFRESH_TOKEN_SECRET').valueFrom!.secretKeyRef!.optional = true; }, ['Deployment/anypod-auth contract.env.required']],
  ['a required Secret key that the Secret lacks', (o) => { env(o, 'auth', 'REFRESH_TOKEN_SECRET').valueFrom!.secretKeyRef!.key = 'refresh-secret'; }, ['Deployment/anypod-auth contract.env.required']],
  ['a typo: CATALOG_TIMEOUT_MS as CATALOG_TIMOUT_MS', (o) => { env(o, 'cart', 'CATALOG_TIMEOUT_MS').name = 'CATALOG_TIMOUT_MS'; }, ['Deployment/anypod-cart contract.env.unknown']],
  ['a word where a number goes', (o) => { env(o, 'cart', 'CATALOG_TIMEOUT_MS').value = 'fast'; }, ['Deployment/anypod-cart contract.env.value']],
  ['a value out of range', (o) => { env(o, 'catalog', 'DB_POOL_SIZE').value = '0'; }, ['Deployment/anypod-catalog contract.env.value']],
  ['valid values that break a rule across variables', (o) => { env(o, 'catalog', 'SHUTDOWN_DELAY_MS').value = env(o, 'catalog', 'SHUTDOWN_TIMEOUT_MS').value!; }, ['Deployment/anypod-catalog contract.env.load']],
  ['a variable set twice', (o) => { main(o, 'auth').env!.push({ name: 'LOG_LEVEL', value: 'debug' }); }, ['Deployment/anypod-auth contract.env.duplicate']],
  ['$(POD_NAMESPACE) used before it is defined', (o) => {
    // The chart defines POD_NAMESPACE first and refers to it in OTEL_RESOURCE_ATTRIBUTES; move the reference to the front.
    const c = main(o, 'catalog');
    const reference = env(o, 'catalog', 'OTEL_RESOURCE_ATTRIBUTES');
    c.env = [reference, ...c.env!.filter((e) => e !== reference)];
  }, ['Deployment/anypod-catalog contract.env.reference']],
  ['AUTH_JWKS_URL on a path auth does not serve', (o) => { env(o, 'catalog', 'AUTH_JWKS_URL').value = 'http://anypod-auth:3000/auth/jwks.json'; }, ['Deployment/anypod-catalog contract.url']],
  ['CATALOG_URL naming a Service that does not exist', (o) => { env(o, 'cart', 'CATALOG_URL').value = 'http://catalog:3000'; }, ['Deployment/anypod-cart contract.url']],
  ['catalog\'s Service moved to port 8080 while CATALOG_URL still says 3000', (o) => {
    ((byName(o, 'Service', 'anypod-catalog').spec as { ports: Array<{ port: number }> }).ports[0]!).port = 8080;
    (field(byName(o, 'HTTPRoute', 'anypod-catalog'), 'spec', 'rules') as Array<{ backendRefs: Array<{ port: number }> }>)[0]!.backendRefs[0]!.port = 8080;
  }, ['Deployment/anypod-cart contract.url', 'Pod/anypod-test-any-pod contract.url']],
  ['auth\'s pod migrating catalog', (o) => { initOf(o, 'auth').args = ['catalog']; }, ['Deployment/anypod-auth contract.migrate']],
  ['migrations sent to another database', (o) => { initOf(o, 'cart').env!.find((e) => e.name === 'DATABASE_URL')!.valueFrom!.secretKeyRef!.key = 'admin-url'; }, ['Deployment/anypod-cart contract.migrate']],
  ['the chart\'s generated signing key on P-384 (auth signs ES256: P-256 only)', (o) => {
    const secret = byName(o, 'Secret', 'anypod-auth-keys') as K8sObject & { data: Record<string, string> };
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    secret.data['jwt-private-key'] = Buffer.from(pem).toString('base64');
  }, ['Deployment/anypod-auth contract.env.load']],
  ['the helm test pod calling catalog on port 8080', (o) => {
    const pod = o.find((x) => x.kind === 'Pod' && x.metadata.annotations?.['helm.sh/hook'] === 'test');
    if (!pod) throw new Error('the defaults render no helm test Pod');
    for (const e of (pod.spec as PodSpec).containers[0]!.env ?? []) if (e.value?.includes('anypod-catalog:3000')) e.value = e.value.replace('anypod-catalog:3000', 'anypod-catalog:8080');
  }, ['Pod/anypod-test-any-pod contract.url']],
  ['a readiness probe on /ready', (o) => { main(o, 'catalog').readinessProbe!.httpGet!.path = '/ready'; }, ['Deployment/anypod-catalog contract.probe']],
  ['a liveness probe on the public prefix\'s health path that does not exist', (o) => { main(o, 'auth').livenessProbe!.httpGet!.path = '/auth/healthz'; }, ['Deployment/anypod-auth contract.probe']],
  ['a liveness probe on port 8080', (o) => { main(o, 'cart').livenessProbe!.httpGet!.port = 8080; }, ['Deployment/anypod-cart contract.probe']],
  ['the container port 3001 while PORT is 3000', (o) => { main(o, 'auth').ports![0]!.containerPort = 3001; }, ['Deployment/anypod-auth contract.port', 'Deployment/anypod-auth contract.probe', 'Service/anypod-auth contract.service']],
  ['a Service targetPort naming no container port', (o) => { ((byName(o, 'Service', 'anypod-cart').spec as { ports: Array<{ targetPort: string }> }).ports[0]!).targetPort = 'web'; }, ['Service/anypod-cart contract.service']],
  ['the /cart route sent to catalog', (o) => {
    (field(byName(o, 'HTTPRoute', 'anypod-cart'), 'spec', 'rules') as Array<{ backendRefs: Array<{ name: string }> }>)[0]!.backendRefs[0]!.name = 'anypod-catalog';
  }, ['HTTPRoute/anypod-cart contract.routes.path', 'HTTPRoute rules contract.routes.missing']],
  ['an HTTPRoute prefix /carts', (o) => {
    (field(byName(o, 'HTTPRoute', 'anypod-cart'), 'spec', 'rules') as Array<{ matches: Array<{ path: { value: string } }> }>)[0]!.matches[0]!.path.value = '/carts';
  }, ['HTTPRoute/anypod-cart contract.routes.path', 'HTTPRoute rules contract.routes.missing']],
  ['an HTTPRoute attached to a listener the Gateway lacks', (o) => {
    (field(byName(o, 'HTTPRoute', 'anypod-catalog'), 'spec', 'parentRefs') as Array<{ sectionName: string }>)[0]!.sectionName = 'https';
  }, ['HTTPRoute/anypod-catalog contract.routes.parent']],
  ['a Service selecting every anypod pod', (o) => { delete (byName(o, 'Service', 'anypod-auth').spec as { selector: Record<string, string> }).selector['app.kubernetes.io/component']; }, ['Service/anypod-auth contract.service', 'HTTPRoute rules contract.routes.missing']],
  ['an HTTPRoute to a port the Service lacks', (o) => {
    (field(byName(o, 'HTTPRoute', 'anypod-auth'), 'spec', 'rules') as Array<{ backendRefs: Array<{ port: number }> }>)[0]!.backendRefs[0]!.port = 80;
  }, ['HTTPRoute/anypod-auth contract.routes.port']],
];

describe('contract shown failing on broken renders', () => {
  let defaults: K8sObject[];
  beforeAll(() => {
    defaults = renderVariant(DEFAULTS);
  });

  it('the unbroken defaults pass (so every violation below comes from its edit)', () => {
    expect(formatViolations(contractViolations(defaults, surfaces))).toBe('');
  });

  it.each(MUTANTS)('%s', (_name, edit, expected) => {
    const objects = structuredClone(defaults);
    edit(objects);
    const violations = contractViolations(objects, surfaces);
    expect(rulesOf(violations), formatViolations(violations)).toEqual([...expected].sort());
  });

  it('an Ingress path /catalogue (ci/ingress-only-values.yaml, edited)', () => {
    const variant = chartVariants().find((v) => v.label === 'ci/ingress-only-values.yaml');
    expect(variant, 'helm/anypod/ci/ingress-only-values.yaml is missing').toBeDefined();
    const objects = renderVariant(variant!);
    const ingress = objects.find((o) => o.kind === 'Ingress');
    expect(ingress, 'ci/ingress-only-values.yaml renders no Ingress').toBeDefined();
    expect(formatViolations(contractViolations(objects, surfaces))).toBe('');
    const paths = (field(ingress!, 'spec', 'rules') as Array<{ http: { paths: Array<{ path: string; backend: { service: { name: string } } }> } }>)[0]!.http.paths;
    paths.find((p) => p.backend.service.name === 'anypod-catalog')!.path = '/catalogue';
    const violations = contractViolations(objects, surfaces);
    expect(rulesOf(violations), formatViolations(violations)).toEqual([`${ingress!.kind}/${ingress!.metadata.name} contract.routes.path`, 'Ingress rules contract.routes.missing'].sort());
  });
});

describe('contract shown failing on values files rendered by helm', () => {
  it('fixtures/renamed-env-values.yaml: cart\'s CATALOG_TIMEOUT_MS renamed to CATALOG_TIMEOUT', () => {
    const violations = contractViolations(render({ valuesFiles: [fixture('renamed-env-values.yaml')] }), surfaces);
    expect(rulesOf(violations), formatViolations(violations)).toEqual(['Deployment/anypod-cart contract.env.unknown']);
    expect(violations[0]!.message).toContain('CATALOG_TIMEOUT');
  });

  it('fixtures/wrong-port-values.yaml: auth told to listen on 3001 behind a container port of 3000', () => {
    // values.schema.json refuses an env PORT (the chart sets it); rendered past it, the contract holds on its own.
    expect(() => render({ valuesFiles: [fixture('wrong-port-values.yaml')] })).toThrow(/invalid propertyName 'PORT'/);
    const violations = contractViolations(render({ valuesFiles: [fixture('wrong-port-values.yaml')], skipSchemaValidation: true }), surfaces);
    expect(rulesOf(violations), formatViolations(violations)).toEqual(
      ['Deployment/anypod-auth contract.env.duplicate', 'Deployment/anypod-auth contract.port', 'Deployment/anypod-auth contract.probe', 'Service/anypod-auth contract.service'].sort(),
    );
  });
});
