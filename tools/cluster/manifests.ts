// The local cluster's settings, read from the manifests rendered from the chart (k8s/, made by
// `make k8s`): what `make demo` runs is what `kubectl apply -f k8s/` deploys. Per service:
// its Deployment (found by the label app.kubernetes.io/component), the replica count (the
// HPA's minimum when an HPA targets the Deployment), the container's port, env, probe paths,
// readiness timing, pre-stop sleep and grace period; and its URL prefix from the HTTPRoute (or, when k8s/ has
// no HTTPRoute, the Ingress). Anything missing or malformed stops here with the file, the
// object and the field named: a chart change that the local cluster cannot mirror must not
// turn into a replica that behaves differently.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { parseObjects, type K8sObject } from '../k8s/render.ts';
import { K8S_DIR, REPO_ROOT, SERVICE_NAMES } from './paths.ts';
import type { ServiceName } from './types.ts';

/** One env entry of the container, in manifest order (ConfigMap references already resolved). */
export type ManifestEnv =
  | { name: string; value: string }
  /** the downward API: metadata.name, metadata.namespace, status.podIP, … */
  | { name: string; fieldPath: string }
  | { name: string; secret: { name: string; key: string; optional: boolean } };

export interface ServiceManifest {
  name: ServiceName;
  /** `<file>: Deployment <name>`, for messages */
  source: string;
  namespace: string;
  /** URL prefix on the Ingress, e.g. /auth (the service serves its routes under it too) */
  prefix: string;
  /** where the prefix came from: `<file>: HTTPRoute <name>` or `<file>: Ingress <name>` */
  routeSource: string;
  replicas: number;
  /** the HPA's minReplicas when an HPA targets the Deployment, else the Deployment's spec.replicas */
  replicasFrom: string;
  containerPort: number;
  probes: { readiness: string; liveness?: string; startup?: string };
  /** how the readiness probe is repeated once the replica has first passed it (the kubelet's fields, its defaults when absent) */
  readinessTiming: ProbeTiming;
  /** lifecycle.preStop.sleep.seconds: the replica keeps serving this long after its deletion starts */
  preStopSeconds: number;
  /** SIGKILL this long after the deletion started (the pre-stop sleep counts, like Kubernetes) */
  terminationGracePeriodSeconds: number;
  env: ManifestEnv[];
}

/** A probe's timing fields, as the kubelet applies them after the first success. */
export interface ProbeTiming {
  /** how often the probe runs */
  periodSeconds: number;
  /** how long one probe may take before it counts as a failure */
  timeoutSeconds: number;
  /** consecutive failures that take a ready replica out of its Service's endpoints */
  failureThreshold: number;
  /** consecutive successes that put an unready replica back */
  successThreshold: number;
}

/** The kubelet's defaults for a probe's fields (the Probe type in the Kubernetes API reference). */
export const KUBE_PROBE_DEFAULTS: ProbeTiming = { periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 };

export interface ClusterManifests {
  dir: string;
  services: ServiceManifest[];
  /** the names of every Service in k8s/: an env value still pointing at one is an in-cluster address */
  serviceNames: string[];
  service(name: ServiceName): ServiceManifest;
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

interface Located {
  file: string;
  object: K8sObject;
}

type Obj = Record<string, unknown>;

const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const COMPONENT = 'app.kubernetes.io/component';
const PREFIX = /^\/[a-z0-9-]+$/;

function display(path: string): string {
  const rel = relative(REPO_ROOT, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

const where = (l: Located): string => `${display(l.file)}: ${l.object.kind} ${l.object.metadata?.name ?? '(no metadata.name)'}`;

function fail(at: Located | string, field: string, problem: string): never {
  throw new ManifestError(`${typeof at === 'string' ? at : where(at)}: ${field} ${problem}`);
}

/** The value at a dotted path (`spec.template.spec`), or undefined. */
function at(root: unknown, path: string): unknown {
  let value = root;
  for (const key of path.split('.')) value = isObj(value) ? value[key] : undefined;
  return value;
}

function int(value: unknown, l: Located, field: string, min: number, max: number, why: string): number {
  if (value === undefined) fail(l, field, `is missing (${why})`);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(l, field, `must be an integer in ${min}..${max}, not ${JSON.stringify(value)}`);
  return value;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(entry)) out.push(path);
  }
  return out;
}

/** Every object of every YAML file under `dir`, with the file it came from. */
export function readManifestDir(dir: string): Located[] {
  if (!existsSync(dir)) throw new ManifestError(`${display(dir)} does not exist: the local cluster takes its settings from the rendered manifests; run \`make k8s\``);
  const files = yamlFiles(dir);
  if (files.length === 0) throw new ManifestError(`${display(dir)} has no .yaml files: run \`make k8s\``);
  const objects: Located[] = [];
  for (const file of files) {
    let parsed: K8sObject[];
    try {
      parsed = parseObjects(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ManifestError(`${display(file)}: ${(error as Error).message}`);
    }
    for (const object of parsed) {
      if (!isObj(object) || typeof object.kind !== 'string') throw new ManifestError(`${display(file)}: a document without a kind`);
      objects.push({ file, object });
    }
  }
  return objects;
}

/** The app container: the only one, or the one named after the component. */
function appContainer(deployment: Located, component: ServiceName): { container: Obj; field: string } {
  const containers = at(deployment.object, 'spec.template.spec.containers');
  if (!Array.isArray(containers) || containers.length === 0) fail(deployment, 'spec.template.spec.containers', 'is missing or empty');
  const index = containers.length === 1 ? 0 : containers.findIndex((c: unknown) => isObj(c) && c.name === component);
  if (index < 0) fail(deployment, 'spec.template.spec.containers', `has ${containers.length} containers and none is named ${component}`);
  const container = containers[index] as unknown;
  if (!isObj(container)) fail(deployment, `spec.template.spec.containers[${index}]`, 'is not an object');
  return { container, field: `spec.template.spec.containers[${index}]` };
}

function containerPort(deployment: Located, container: Obj, field: string): { port: number; name?: string } {
  const ports = container.ports;
  if (!Array.isArray(ports) || ports.length === 0) fail(deployment, `${field}.ports`, 'is missing: the service needs a port');
  const index = ports.length === 1 ? 0 : ports.findIndex((p: unknown) => isObj(p) && p.name === 'http');
  if (index < 0) fail(deployment, `${field}.ports`, `has ${ports.length} ports and none is named http`);
  const port = ports[index] as Obj;
  return { port: int(port.containerPort, deployment, `${field}.ports[${index}].containerPort`, 1, 65535, 'the port the service listens on'), name: typeof port.name === 'string' ? port.name : undefined };
}

/** A probe's httpGet path; its port must be the container's (the local cluster probes the replica's one port). */
function probePath(deployment: Located, container: Obj, field: string, probe: string, port: { port: number; name?: string }, required: boolean): string | undefined {
  const value = container[probe];
  if (value === undefined && !required) return undefined;
  const path = at(value, 'httpGet.path');
  if (typeof path !== 'string' || !path.startsWith('/')) {
    fail(deployment, `${field}.${probe}.httpGet.path`, `${value === undefined ? 'is missing' : 'must be a path starting with /'} (the local cluster ${required ? 'gates each replica on it' : 'reads it'}; only httpGet probes are mirrored)`);
  }
  const probePort = at(value, 'httpGet.port');
  if (probePort !== port.port && (port.name === undefined || probePort !== port.name)) {
    fail(deployment, `${field}.${probe}.httpGet.port`, `is ${JSON.stringify(probePort)}, not the container's port (${port.name ? `${port.name} = ` : ''}${port.port})`);
  }
  return path;
}

/** The readiness probe's timing: each field the manifest sets (validated), the kubelet's default for the others. */
function probeTiming(deployment: Located, container: Obj, field: string): ProbeTiming {
  const probe = container.readinessProbe;
  const timing = { ...KUBE_PROBE_DEFAULTS };
  for (const key of Object.keys(timing) as (keyof ProbeTiming)[]) {
    const value = at(probe, key);
    if (value !== undefined) timing[key] = int(value, deployment, `${field}.readinessProbe.${key}`, 1, 3600, 'the local cluster probes with it');
  }
  return timing;
}

function envOf(deployment: Located, container: Obj, field: string, configMaps: Map<string, Located>): ManifestEnv[] {
  const out: ManifestEnv[] = [];
  const configMapData = (name: unknown, f: string): Obj => {
    const cm = typeof name === 'string' ? configMaps.get(name) : undefined;
    if (!cm) fail(deployment, f, `names ConfigMap ${JSON.stringify(name)}, which is not in k8s/`);
    const data = cm.object.data ?? {};
    if (!isObj(data)) fail(cm, 'data', 'must be a map');
    return data;
  };
  const envFrom = container.envFrom ?? [];
  if (!Array.isArray(envFrom)) fail(deployment, `${field}.envFrom`, 'must be a list');
  envFrom.forEach((source: unknown, i: number) => {
    const f = `${field}.envFrom[${i}]`;
    if (isObj(source) && isObj(source.configMapRef)) {
      const prefix = typeof source.prefix === 'string' ? source.prefix : '';
      for (const [key, value] of Object.entries(configMapData(source.configMapRef.name, `${f}.configMapRef.name`))) out.push({ name: prefix + key, value: String(value) });
    } else {
      fail(deployment, f, 'is not a configMapRef: the local cluster cannot know which variables a whole Secret holds; list each with env[].valueFrom.secretKeyRef');
    }
  });
  const env = container.env ?? [];
  if (!Array.isArray(env)) fail(deployment, `${field}.env`, 'must be a list');
  env.forEach((entry: unknown, i: number) => {
    const f = `${field}.env[${i}]`;
    if (!isObj(entry) || typeof entry.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(entry.name)) fail(deployment, `${f}.name`, 'must be a variable name');
    const name = entry.name;
    const g = `${f} (${name})`;
    if (entry.valueFrom === undefined) {
      // Kubernetes wants a string; an unquoted 3000 or true in YAML is a number or a boolean there.
      if (entry.value !== undefined && typeof entry.value !== 'string') fail(deployment, `${g}.value`, `must be a string, not ${typeof entry.value} ${JSON.stringify(entry.value)} (quote it)`);
      out.push({ name, value: entry.value ?? '' });
      return;
    }
    const from = entry.valueFrom;
    if (!isObj(from)) fail(deployment, `${g}.valueFrom`, 'must be a map');
    if (isObj(from.fieldRef) && typeof from.fieldRef.fieldPath === 'string') {
      out.push({ name, fieldPath: from.fieldRef.fieldPath });
    } else if (isObj(from.secretKeyRef) && typeof from.secretKeyRef.name === 'string' && typeof from.secretKeyRef.key === 'string') {
      out.push({ name, secret: { name: from.secretKeyRef.name, key: from.secretKeyRef.key, optional: from.secretKeyRef.optional === true } });
    } else if (isObj(from.configMapKeyRef) && typeof from.configMapKeyRef.key === 'string') {
      const data = configMapData(from.configMapKeyRef.name, `${g}.valueFrom.configMapKeyRef.name`);
      const value = data[from.configMapKeyRef.key];
      if (value === undefined && from.configMapKeyRef.optional !== true) fail(deployment, `${g}.valueFrom.configMapKeyRef.key`, `${from.configMapKeyRef.key} is not in ConfigMap ${String(from.configMapKeyRef.name)}`);
      if (value !== undefined) out.push({ name, value: String(value) });
    } else {
      fail(deployment, `${g}.valueFrom`, 'must be a fieldRef, secretKeyRef or configMapKeyRef with its name/key (resourceFieldRef has no local equivalent)');
    }
  });
  return out;
}

const selects = (selector: unknown, labels: unknown): boolean =>
  isObj(selector) && Object.keys(selector).length > 0 && isObj(labels) && Object.entries(selector).every(([k, v]) => labels[k] === v);

interface Route {
  prefix: string;
  service: string;
  port: unknown;
  source: Located;
  field: string;
}

function httpRoutes(routes: Located[]): Route[] {
  const out: Route[] = [];
  for (const route of routes) {
    const rules = at(route.object, 'spec.rules');
    if (!Array.isArray(rules)) fail(route, 'spec.rules', 'must be a list');
    rules.forEach((rule: unknown, r: number) => {
      const f = `spec.rules[${r}]`;
      if (!isObj(rule)) fail(route, f, 'must be a map');
      // nginx here passes the path on unchanged, as the services expect (they route under their prefix).
      if (Array.isArray(rule.filters) && rule.filters.length > 0) fail(route, `${f}.filters`, 'are not mirrored by the local Ingress (it passes the path unchanged)');
      const matches = Array.isArray(rule.matches) && rule.matches.length > 0 ? rule.matches : [{}];
      const refs = Array.isArray(rule.backendRefs) ? rule.backendRefs : [];
      matches.forEach((match: unknown, m: number) => {
        const type = at(match, 'path.type') ?? 'PathPrefix';
        const value = at(match, 'path.value') ?? '/';
        if (type !== 'PathPrefix') fail(route, `${f}.matches[${m}].path.type`, `is ${JSON.stringify(type)}; the local Ingress routes PathPrefix matches only`);
        refs.forEach((ref: unknown, b: number) => {
          if (!isObj(ref) || typeof ref.name !== 'string' || (ref.kind !== undefined && ref.kind !== 'Service')) fail(route, `${f}.backendRefs[${b}]`, 'must name a Service');
          out.push({ prefix: String(value), service: ref.name, port: ref.port, source: route, field: `${f}.matches[${m}].path.value` });
        });
      });
    });
  }
  return out;
}

function ingressRoutes(ingresses: Located[]): Route[] {
  const out: Route[] = [];
  for (const ingress of ingresses) {
    const rules = at(ingress.object, 'spec.rules');
    if (!Array.isArray(rules)) fail(ingress, 'spec.rules', 'must be a list');
    rules.forEach((rule: unknown, r: number) => {
      const paths = at(rule, 'http.paths');
      if (!Array.isArray(paths)) fail(ingress, `spec.rules[${r}].http.paths`, 'must be a list');
      paths.forEach((p: unknown, i: number) => {
        const f = `spec.rules[${r}].http.paths[${i}]`;
        if (!isObj(p) || p.pathType !== 'Prefix') fail(ingress, `${f}.pathType`, 'must be Prefix (the local Ingress routes prefixes only)');
        const name = at(p, 'backend.service.name');
        if (typeof name !== 'string') fail(ingress, `${f}.backend.service.name`, 'is missing');
        const port = at(p, 'backend.service.port');
        out.push({ prefix: String(p.path ?? '/'), service: name, port: isObj(port) ? (port.number ?? port.name) : undefined, source: ingress, field: `${f}.path` });
      });
    });
  }
  return out;
}

/** The Service's port a route names must lead to the container's port. */
function checkRoutePort(route: Route, svc: Located, port: { port: number; name?: string }): void {
  const ports = at(svc.object, 'spec.ports');
  const match = Array.isArray(ports) ? ports.find((p: unknown) => isObj(p) && (route.port === undefined ? ports.length === 1 : p.port === route.port || p.name === route.port)) : undefined;
  if (!isObj(match)) fail(route.source, route.field, `routes to Service ${route.service} port ${JSON.stringify(route.port)}, which that Service does not have`);
  const target = match.targetPort ?? match.port;
  if (target !== port.port && (port.name === undefined || target !== port.name)) {
    fail(svc, 'spec.ports[].targetPort', `is ${JSON.stringify(target)}, not the container's port (${port.name ? `${port.name} = ` : ''}${port.port}): the route would not reach the service`);
  }
}

function byKind(objects: Located[], kind: string): Located[] {
  return objects.filter((l) => l.object.kind === kind);
}

/**
 * Reads k8s/ (or another folder of rendered manifests) and returns every service's settings.
 * Throws a ManifestError naming the file, the object and the field when something is missing.
 */
export function loadManifests(dir = K8S_DIR): ClusterManifests {
  const objects = readManifestDir(dir);
  const deployments = byKind(objects, 'Deployment');
  const services = byKind(objects, 'Service');
  const hpas = byKind(objects, 'HorizontalPodAutoscaler');
  const configMaps = new Map(byKind(objects, 'ConfigMap').map((l) => [l.object.metadata.name, l]));
  // Gateway API is what the chart routes with by default; the Ingress is the alternative.
  const routeObjects = byKind(objects, 'HTTPRoute');
  const routes = routeObjects.length > 0 ? httpRoutes(routeObjects) : ingressRoutes(byKind(objects, 'Ingress'));

  const loaded = SERVICE_NAMES.map((name): ServiceManifest => {
    const found = deployments.filter((l) => l.object.metadata?.labels?.[COMPONENT] === name);
    if (found.length === 0) throw new ManifestError(`${display(dir)}: no Deployment labelled ${COMPONENT}: ${name} (the local cluster runs ${name}'s replicas with its settings)`);
    if (found.length > 1) throw new ManifestError(`${display(dir)}: ${found.length} Deployments labelled ${COMPONENT}: ${name} (${found.map(where).join('; ')})`);
    const deployment = found[0] as Located;
    const { container, field } = appContainer(deployment, name);
    const port = containerPort(deployment, container, field);
    const podSpec = 'spec.template.spec';

    // When an HPA targets the Deployment it owns the replica count (the chart leaves spec.replicas
    // out so `kubectl apply` does not reset it); with no load it settles at its minimum, and the
    // local cluster has no autoscaler: it runs that floor, which is what the chart promises.
    const hpa = hpas.find((l) => at(l.object, 'spec.scaleTargetRef.kind') === 'Deployment' && at(l.object, 'spec.scaleTargetRef.name') === deployment.object.metadata.name);
    const replicas = hpa
      ? int(at(hpa.object, 'spec.minReplicas'), hpa, 'spec.minReplicas', 1, 20, 'the local cluster runs the HPA’s minimum')
      : int(at(deployment.object, 'spec.replicas'), deployment, 'spec.replicas', 1, 20, 'and no HorizontalPodAutoscaler targets the Deployment');

    const preStopSeconds = int(at(container, 'lifecycle.preStop.sleep.seconds'), deployment, `${field}.lifecycle.preStop.sleep.seconds`, 0, 120, 'the pre-stop sleep that outlasts the endpoint removal; only the sleep action is mirrored');
    const grace = int(at(deployment.object, `${podSpec}.terminationGracePeriodSeconds`), deployment, `${podSpec}.terminationGracePeriodSeconds`, 1, 600, 'the grace period is sized by the rule in reliability.md, not left to the default');
    if (grace <= preStopSeconds) fail(deployment, `${podSpec}.terminationGracePeriodSeconds`, `(${grace}) must be greater than the pre-stop sleep (${preStopSeconds}), or SIGKILL comes before SIGTERM`);

    const podLabels = at(deployment.object, 'spec.template.metadata.labels');
    const mine = routes.filter((r) => {
      const svc = services.find((s) => s.object.metadata.name === r.service);
      return svc !== undefined && selects(at(svc.object, 'spec.selector'), podLabels);
    });
    if (mine.length === 0) {
      throw new ManifestError(`${display(dir)}: no ${routeObjects.length > 0 ? 'HTTPRoute' : 'Ingress'} routes to a Service selecting ${where(deployment)}'s pods (the local Ingress takes ${name}'s URL prefix from it)`);
    }
    for (const route of mine) checkRoutePort(route, services.find((s) => s.object.metadata.name === route.service) as Located, port);
    const prefixes = [...new Set(mine.map((r) => r.prefix))];
    const first = mine[0] as Route;
    if (prefixes.length > 1) fail(first.source, first.field, `routes ${name} under ${prefixes.join(' and ')}; the local Ingress routes one prefix per service`);
    if (!PREFIX.test(first.prefix)) fail(first.source, first.field, `is ${JSON.stringify(first.prefix)}; the local Ingress needs one segment like /${name}`);

    return {
      name,
      source: where(deployment),
      namespace: deployment.object.metadata.namespace ?? 'default',
      prefix: first.prefix,
      routeSource: where(first.source),
      replicas,
      replicasFrom: hpa ? `${where(hpa)} spec.minReplicas` : `${where(deployment)} spec.replicas`,
      containerPort: port.port,
      probes: {
        readiness: probePath(deployment, container, field, 'readinessProbe', port, true) as string,
        liveness: probePath(deployment, container, field, 'livenessProbe', port, false),
        startup: probePath(deployment, container, field, 'startupProbe', port, false),
      },
      readinessTiming: probeTiming(deployment, container, field),
      preStopSeconds,
      terminationGracePeriodSeconds: grace,
      env: envOf(deployment, container, field, configMaps),
    };
  });
  const byName = new Map(loaded.map((s) => [s.name, s]));
  return {
    dir,
    services: loaded,
    serviceNames: services.map((s) => s.object.metadata.name),
    service: (name) => {
      const found = byName.get(name);
      if (!found) throw new ManifestError(`${name} is not a service of the local cluster (${SERVICE_NAMES.join(', ')})`);
      return found;
    },
  };
}
