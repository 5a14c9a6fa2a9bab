// One source of truth (issue 10, item 6): the local cluster (`make up`, `make demo`, the proof)
// takes every service's replica count, env, port, probe path, pre-stop sleep, grace period and
// URL prefix from the rendered manifests in k8s/. Here k8s/ is read a second, plainer way and
// compared field by field with what the cluster's loader gives; broken copies of k8s/ in a temp
// dir show that what the cluster cannot mirror stops it with the file, object and field named.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { replicaEnv, type LocalContext } from '../../cluster/local-env.ts';
import { loadManifests, type ServiceManifest } from '../../cluster/manifests.ts';
import { K8S_DIR, SERVICE_NAMES } from '../../cluster/paths.ts';
import { generateSecrets } from '../../cluster/secrets.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const tmp = mkdtempSync(join(tmpdir(), 'anypod-cluster-manifests-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? yamlFiles(path) : /\.ya?ml$/.test(entry) ? [path] : [];
  });
}

/** The objects of one YAML file, read without the cluster's loader. */
function docsOf(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

/** Every object of k8s/ (or a copy). */
const objectsOf = (dir: string): Obj[] => yamlFiles(dir).flatMap(docsOf);

/**
 * A copy of k8s/ in a temp dir with `change` applied to its objects (each file rewritten from
 * its parsed documents, so the change lands wherever the chart put the object).
 */
function brokenCopy(name: string, change: (objects: Obj[]) => void): string {
  const dir = join(tmp, name);
  cpSync(K8S_DIR, dir, { recursive: true });
  const files = yamlFiles(dir).map((file) => ({ file, docs: docsOf(file) }));
  change(files.flatMap((f) => f.docs));
  for (const { file, docs } of files) writeFileSync(file, docs.map((d) => (d.__deleted ? '' : stringify(d))).join('---\n'));
  return dir;
}

const component = (o: Obj): string | undefined => o.metadata?.labels?.['app.kubernetes.io/component'];
const deploymentOf = (objects: Obj[], service: string): Obj => objects.find((o) => o.kind === 'Deployment' && component(o) === service) as Obj;
const appContainer = (deployment: Obj, service: string): Obj => {
  const containers = deployment.spec.template.spec.containers as Obj[];
  return containers.length === 1 ? (containers[0] as Obj) : (containers.find((c) => c.name === service) as Obj);
};
/** The file under `dir` that holds an object (the loader names files outside the repository by their full path). */
const fileOf = (dir: string, kind: string, name: string): string => yamlFiles(dir).find((f) => docsOf(f).some((o) => o.kind === kind && o.metadata?.name === name)) as string;

const objects = objectsOf(K8S_DIR);
const loaded = loadManifests();

describe('the local cluster takes its settings from k8s/', () => {
  it.each(SERVICE_NAMES)('%s: replicas, port, probes, pre-stop, grace and URL prefix are the ones in k8s/', (service) => {
    const deployment = deploymentOf(objects, service);
    expect(deployment, `k8s/ has a Deployment labelled app.kubernetes.io/component: ${service}`).toBeDefined();
    const container = appContainer(deployment, service);
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === deployment.metadata.name);
    const httpPort = (container.ports as Obj[]).find((p) => p.name === 'http') ?? container.ports[0];
    const m = loaded.service(service);
    expect(m.replicas).toBe(hpa ? hpa.spec.minReplicas : deployment.spec.replicas);
    expect(m.containerPort).toBe(httpPort.containerPort);
    expect(m.probes).toEqual({ readiness: container.readinessProbe.httpGet.path, liveness: container.livenessProbe?.httpGet.path, startup: container.startupProbe?.httpGet.path });
    expect(m.preStopSeconds).toBe(container.lifecycle.preStop.sleep.seconds);
    expect(m.terminationGracePeriodSeconds).toBe(deployment.spec.template.spec.terminationGracePeriodSeconds);
    expect(m.namespace).toBe(deployment.metadata.namespace);

    // The prefix: the HTTPRoute rule (or Ingress path) whose backend is this service's Service.
    const svc = objects.find((o) => o.kind === 'Service' && Object.entries(o.spec.selector ?? {}).every(([k, v]) => deployment.spec.template.metadata.labels[k] === v)) as Obj;
    const routes = objects.filter((o) => o.kind === 'HTTPRoute');
    const prefixes = routes.length > 0
      ? routes.flatMap((r) => (r.spec.rules as Obj[]).filter((rule) => (rule.backendRefs as Obj[]).some((b) => b.name === svc.metadata.name)).flatMap((rule) => (rule.matches as Obj[]).map((x) => x.path.value)))
      : objects.filter((o) => o.kind === 'Ingress').flatMap((i) => (i.spec.rules as Obj[]).flatMap((r) => (r.http.paths as Obj[]).filter((p) => p.backend.service.name === svc.metadata.name).map((p) => p.path)));
    expect(prefixes.length).toBeGreaterThan(0);
    expect(new Set(prefixes)).toEqual(new Set([m.prefix]));
  });

  it.each(SERVICE_NAMES)("%s: a replica gets every env value of the Deployment; only the listed local differences change", (service) => {
    const container = appContainer(deploymentOf(objects, service), service);
    const ctx: LocalContext = { replica: `${service}-abcde`, port: 41234, ingressUrl: 'http://127.0.0.1:41000', databaseUrl: 'postgresql://u:p@127.0.0.1:55432/db', redisUrl: 'redis://127.0.0.1:56379', secrets: generateSecrets(), runner: { PATH: '/usr/bin' } };
    const env = replicaEnv(loaded.service(service), ctx, {}, loaded.serviceNames);
    // What differs on one machine, and why: local-env.ts. Everything else must be k8s/'s value.
    const local: Record<string, string> = {
      PORT: '41234',
      HOST: '127.0.0.1',
      HOSTNAME: `${service}-abcde`,
      COOKIE_SECURE: 'false',
      DATABASE_URL: ctx.databaseUrl,
      REDIS_URL: ctx.redisUrl,
      AUTH_JWKS_URL: 'http://127.0.0.1:41000/auth/.well-known/jwks.json',
      CATALOG_URL: 'http://127.0.0.1:41000',
    };
    const plain = (container.env as Obj[]).filter((e) => e.valueFrom === undefined);
    expect(plain.length).toBeGreaterThan(3);
    // Kubernetes expands $(VAR) with the container's earlier variables (the chart does, for OTEL_RESOURCE_ATTRIBUTES).
    const expanded = (value: string) => value.replace(/\$\(([A-Z_][A-Z0-9_]*)\)/g, (_, name: string) => env[name] as string);
    for (const e of plain) expect(env[e.name], e.name).toBe(local[e.name] ?? expanded(e.value ?? ''));
    for (const e of (container.env as Obj[]).filter((x) => x.valueFrom?.fieldRef)) {
      expect(env[e.name], e.name).toBe({ 'metadata.name': `${service}-abcde`, 'metadata.namespace': deploymentOf(objects, service).metadata.namespace }[e.valueFrom.fieldRef.fieldPath as string]);
    }
    for (const e of (container.env as Obj[]).filter((x) => x.valueFrom?.secretKeyRef && !x.valueFrom.secretKeyRef.optional)) {
      expect(env[e.name], `${e.name} (from a Secret) has a local value`).toMatch(/./);
    }
    if (service === 'auth') expect(env.JWT_PRIVATE_KEY).toBe(ctx.secrets.jwtPrivateKey);
    // Nothing beyond k8s/'s variables, the runner's PATH/HOME and the local identity.
    const declared = new Set([...(container.env as Obj[]).map((e) => e.name as string), ...Object.keys(local), 'PATH', 'HOME']);
    expect(Object.keys(env).filter((k) => !declared.has(k))).toEqual([]);
  });

  it('a change in k8s/ moves the local cluster with it: replicas, port, probe, pre-stop, grace, env, prefix', () => {
    const dir = brokenCopy('changed', (objs) => {
      const deployment = deploymentOf(objs, 'catalog');
      const container = appContainer(deployment, 'catalog');
      deployment.spec.replicas = 4;
      for (const o of objs.filter((x) => x.kind === 'HorizontalPodAutoscaler' && x.spec.scaleTargetRef.name === deployment.metadata.name)) o.spec.minReplicas = 4;
      const port = (container.ports as Obj[]).find((p) => p.name === 'http') ?? container.ports[0];
      port.containerPort = 3100;
      for (const svc of objs.filter((x) => x.kind === 'Service' && x.metadata.name === deployment.metadata.name)) for (const p of svc.spec.ports as Obj[]) if (typeof p.targetPort === 'number') p.targetPort = 3100;
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) if (typeof container[probe]?.httpGet.port === 'number') container[probe].httpGet.port = 3100;
      container.readinessProbe.httpGet.path = '/ready-now';
      container.lifecycle.preStop.sleep.seconds = 7;
      deployment.spec.template.spec.terminationGracePeriodSeconds = 41;
      container.env.push({ name: 'SOMETHING_NEW', value: 'from-the-chart' });
      for (const route of objs.filter((x) => x.kind === 'HTTPRoute')) for (const rule of route.spec.rules as Obj[]) for (const m of rule.matches ?? []) if (m.path?.value === '/catalog') m.path.value = '/shop';
      for (const ing of objs.filter((x) => x.kind === 'Ingress')) for (const r of ing.spec.rules as Obj[]) for (const p of r.http.paths as Obj[]) if (p.path === '/catalog') p.path = '/shop';
    });
    const m = loadManifests(dir).service('catalog');
    expect({ replicas: m.replicas, containerPort: m.containerPort, readiness: m.probes.readiness, preStop: m.preStopSeconds, grace: m.terminationGracePeriodSeconds, prefix: m.prefix }).toEqual({
      replicas: 4,
      containerPort: 3100,
      readiness: '/ready-now',
      preStop: 7,
      grace: 41,
      prefix: '/shop',
    });
    expect(m.env).toContainEqual({ name: 'SOMETHING_NEW', value: 'from-the-chart' });
  });

  it("a run's own variables win over k8s/'s (the proof's LOG_LEVEL, STATE_STORE for the stateful runs), the replica's identity over both", () => {
    const ctx: LocalContext = { replica: 'cart-fghij', port: 41235, ingressUrl: 'http://127.0.0.1:41000', databaseUrl: 'postgresql://u:p@127.0.0.1/db', redisUrl: 'redis://127.0.0.1:1', secrets: generateSecrets(), runner: {} };
    const env = replicaEnv(loaded.service('cart'), ctx, { LOG_LEVEL: 'warn', STATE_STORE: 'memory', PORT: '1' }, loaded.serviceNames);
    expect(env).toMatchObject({ LOG_LEVEL: 'warn', STATE_STORE: 'memory', PORT: '41235', HOST: '127.0.0.1' });
  });
});

describe('a k8s/ the local cluster cannot mirror stops it with the file, object and field named', () => {
  const auth = (objs: Obj[]) => appContainer(deploymentOf(objs, 'auth'), 'auth');
  const authName = deploymentOf(objects, 'auth').metadata.name as string;

  it('no pre-stop sleep', () => {
    const dir = brokenCopy('no-prestop', (objs) => delete auth(objs).lifecycle);
    expect(() => loadManifests(dir)).toThrow(`${fileOf(dir, 'Deployment', authName)}: Deployment ${authName}: spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds is missing`);
  });

  it('no Deployment for cart', () => {
    const dir = brokenCopy('no-cart', (objs) => (deploymentOf(objs, 'cart').__deleted = true));
    expect(() => loadManifests(dir)).toThrow('no Deployment labelled app.kubernetes.io/component: cart');
  });

  it('an env value that is not a string (an unquoted number)', () => {
    const dir = brokenCopy('bad-env', (objs) => ((auth(objs).env as Obj[]).find((e) => e.name === 'PORT') as Obj).value = 3000);
    expect(() => loadManifests(dir)).toThrow(new RegExp(`Deployment ${authName}: spec\\.template\\.spec\\.containers\\[0\\]\\.env\\[\\d+\\] \\(PORT\\)\\.value must be a string, not number 3000`));
  });

  it('a grace period no longer than the pre-stop sleep, a missing readiness probe', () => {
    const grace = brokenCopy('short-grace', (objs) => (deploymentOf(objs, 'catalog').spec.template.spec.terminationGracePeriodSeconds = auth(objs).lifecycle.preStop.sleep.seconds));
    expect(() => loadManifests(grace)).toThrow(/Deployment \S+-catalog: spec\.template\.spec\.terminationGracePeriodSeconds \(\d+\) must be greater than the pre-stop sleep/);
    const probe = brokenCopy('no-readiness', (objs) => delete appContainer(deploymentOf(objs, 'cart'), 'cart').readinessProbe);
    expect(() => loadManifests(probe)).toThrow(/Deployment \S+-cart: spec\.template\.spec\.containers\[0\]\.readinessProbe\.httpGet\.path is missing/);
  });

  it('no route to a service', () => {
    const dir = brokenCopy('no-route', (objs) => {
      for (const o of objs.filter((x) => x.kind === 'HTTPRoute' || x.kind === 'Ingress')) o.__deleted = true;
    });
    expect(() => loadManifests(dir)).toThrow(/no Ingress routes to a Service selecting .*Deployment \S+-auth's pods/);
  });

  it('an HPA decides the replica count when one targets the Deployment', () => {
    const dir = brokenCopy('hpa', (objs) => {
      const deployment = deploymentOf(objs, 'cart');
      deployment.spec.replicas = 2;
      for (const o of objs.filter((x) => x.kind === 'HorizontalPodAutoscaler' && x.spec.scaleTargetRef.name === deployment.metadata.name)) o.__deleted = true;
    });
    writeFileSync(join(dir, 'zz-hpa.yaml'), stringify({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'cart-hpa' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deploymentOf(objects, 'cart').metadata.name }, minReplicas: 4, maxReplicas: 6 } }));
    expect(loadManifests(dir).service('cart').replicas).toBe(4);
    const none = brokenCopy('no-hpa', (objs) => {
      deploymentOf(objs, 'cart').spec.replicas = 2;
      for (const o of objs.filter((x) => x.kind === 'HorizontalPodAutoscaler')) o.__deleted = true;
    });
    expect(loadManifests(none).service('cart').replicas).toBe(2);
  });

  it('a Secret, a downward-API field or an in-cluster address the local cluster has no value for', () => {
    const ctx: LocalContext = { replica: 'auth-abcde', port: 41234, ingressUrl: 'http://127.0.0.1:41000', databaseUrl: 'postgresql://u:p@127.0.0.1/db', redisUrl: 'redis://127.0.0.1:1', secrets: generateSecrets(), runner: {} };
    const base = loaded.service('auth');
    const withEnv = (env: ServiceManifest['env']): ServiceManifest => ({ ...base, env: [...base.env, ...env] });
    expect(() => replicaEnv(withEnv([{ name: 'API_TOKEN', secret: { name: 'anypod-other', key: 'token', optional: false } }]), ctx, {}, loaded.serviceNames)).toThrow(
      `${base.source}: env API_TOKEN comes from Secret anypod-other key token, which the local cluster does not make`,
    );
    expect(replicaEnv(withEnv([{ name: 'API_TOKEN', secret: { name: 'anypod-other', key: 'token', optional: true } }]), ctx, {}, loaded.serviceNames).API_TOKEN).toBeUndefined();
    expect(() => replicaEnv(withEnv([{ name: 'SA', fieldPath: 'spec.serviceAccountName' }]), ctx, {}, loaded.serviceNames)).toThrow('env SA comes from the downward API field spec.serviceAccountName');
    const catalogService = loaded.serviceNames.find((n) => n.endsWith('-catalog')) as string;
    expect(() => replicaEnv(withEnv([{ name: 'PRICE_URL', value: `http://${catalogService}:3000/x` }]), ctx, {}, loaded.serviceNames)).toThrow(`env PRICE_URL points at ${catalogService}, an in-cluster address`);
    // …unless the run gives it a value of its own.
    expect(replicaEnv(withEnv([{ name: 'PRICE_URL', value: `http://${catalogService}:3000/x` }]), ctx, { PRICE_URL: 'http://127.0.0.1:1/x' }, loaded.serviceNames).PRICE_URL).toBe('http://127.0.0.1:1/x');
  });
});
