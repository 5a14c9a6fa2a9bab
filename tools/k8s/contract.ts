// The contract between the chart and the services, as pure functions over rendered objects and
// what each service declares about itself (ServiceSurface: its exported ServiceConfig, the
// routes its app registers, its OpenAPI document; tools/k8s/service-surface.ts builds them from
// the real apps). Checked for every service Deployment:
//   env     every variable the service requires (no default) is set; no name the chart sets is
//           unknown to the service; every plain value passes the schema check the service runs
//           at start-up (per variable, then loadConfig as a whole with its rules across variables)
//   ports   the container port is the PORT the chart sets; probes and the Service's targetPort
//           name that port; routes' backend ports are ports of the Service
//   probes  every probe path is a GET route the app registers
//   migrate the migrate init container migrates this pod's service, on the service's database
//   urls    every in-release URL a service is given (JWKS, catalog, Redis, Postgres, OTLP) names
//           a rendered Service and one of its ports, and a path the target service serves
//   routes  every HTTPRoute/Ingress path prefix reaches the Service of the component whose
//           OpenAPI paths live under it, and every public path of a service is under its prefix
import { ConfigError, loadConfig, type ServiceConfig } from '@anypod/platform/config';
import { testEnv } from '@anypod/platform/testing/env';
import type { Violation } from './policy.ts';
import type { K8sObject } from './render.ts';
import { field, podTemplates, refOf, resolveEnv, serviceContainer, serviceDeployments, type Container, type EnvSource, type PodTemplate, type Probe } from './workloads.ts';

export interface RouteInfo {
  method: string;
  url: string;
}

/** What a service declares: its configuration schema, its registered routes, its OpenAPI paths. */
export interface ServiceSurface {
  component: string;
  config: ServiceConfig;
  /** every route the app registers (hidden ones too: /healthz, /readyz, /metrics) */
  routes: RouteInfo[];
  /** where the OpenAPI document is served, e.g. /auth/openapi.json */
  openapiUrl: string;
  /** the document's paths: the service's public routes */
  openapiPaths: string[];
  /** the service has Prisma migrations (services/<name>/prisma), which the migrate image applies by name */
  hasMigrations: boolean;
}

/**
 * Variables the services read outside their ServiceConfig, with who reads them. Anything else the
 * chart sets that no schema declares is a typo or a setting nothing reads.
 */
export const READ_OUTSIDE_SCHEMA: ReadonlyArray<{ test: (name: string) => boolean; readBy: string }> = [
  // packages/platform/src/telemetry.ts and the OpenTelemetry SDK read OTEL_* before config loads.
  { test: (name) => name.startsWith('OTEL_'), readBy: 'the OpenTelemetry SDK (packages/platform/src/telemetry.ts)' },
  // Node itself.
  { test: (name) => name === 'NODE_OPTIONS' || name === 'NODE_EXTRA_CA_CERTS', readBy: 'node' },
];

const violation = (object: string, rule: string, message: string): Violation => ({ object, rule, message });

interface SchemaProperty {
  default?: unknown;
  description?: string;
  [key: string]: unknown;
}

const propertiesOf = (config: ServiceConfig): Record<string, SchemaProperty> => config.schema.properties as Record<string, SchemaProperty>;

/** Variables a service cannot start without: required by the schema and with no default. */
export function requiredVariables(config: ServiceConfig): string[] {
  const required = new Set(config.schema.required ?? []);
  return Object.entries(propertiesOf(config))
    .filter(([name, property]) => required.has(name) && property.default === undefined)
    .map(([name]) => name);
}

/** Names referenced as $(NAME) in the container's env values, command or args: those are read by the pod spec itself. */
function referencedNames(container: Container): Set<string> {
  const texts = [...(container.env ?? []).map((e) => e.value ?? ''), ...(container.command ?? []), ...(container.args ?? [])];
  const names = new Set<string>();
  for (const text of texts) for (const match of text.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) names.add(match[1]!);
  return names;
}

/** A schema's example value, for a required variable the test environment has no value for. */
function standInExample(property: SchemaProperty | undefined): string | undefined {
  const examples = property?.examples;
  return Array.isArray(examples) && examples.length > 0 ? String(examples[0]) : undefined;
}

/** A stand-in for a value the render cannot show, so loadConfig can run its rules over the rest. */
function standIn(name: string, property: SchemaProperty | undefined, source: EnvSource, objects: K8sObject[], namespace: string, pod: string): string | undefined {
  if (source.kind === 'value') return source.value;
  if (source.kind === 'fieldRef') return source.fieldPath === 'metadata.namespace' ? namespace : source.fieldPath === 'metadata.name' ? pod : 'field';
  if (source.kind === 'secret') {
    // A Secret the chart renders (secrets.create) is checked with its real data; one made outside
    // the chart gets the test suite's valid stand-in (platform/testing/env).
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === source.name);
    const encoded = (secret?.data as Record<string, string> | undefined)?.[source.key];
    const plain = (secret?.stringData as Record<string, string> | undefined)?.[source.key];
    if (plain !== undefined) return plain;
    if (encoded !== undefined) return Buffer.from(encoded, 'base64').toString('utf8');
    return testEnv()[name] ?? standInExample(property);
  }
  return testEnv()[name] ?? standInExample(property);
}

/** The env checks of one service Deployment against its service's schema. */
export function envViolations(template: PodTemplate, surface: ServiceSurface, objects: K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const container = serviceContainer(template);
  if (!container) return [violation(template.ref, 'contract.container', `no container named '${template.component}'`)];
  const add = (rule: string, message: string) => out.push(violation(template.ref, rule, message));
  const where = `container '${container.name}'`;
  const { vars, opaque } = resolveEnv(objects, container);
  const properties = propertiesOf(surface.config);
  /** variables whose own problem is reported, so the whole load does not repeat it */
  const alreadyNamed: string[] = [];
  const schemaFile = `services/${surface.component}/src/config.ts or packages/platform/src/config.ts`;

  const counts = new Map<string, number>();
  for (const entry of container.env ?? []) counts.set(entry.name, (counts.get(entry.name) ?? 0) + 1);
  for (const [name, count] of counts)
    if (count > 1) add('contract.env.duplicate', `${where}: ${name} is set ${count} times; the last entry silently wins over the chart's own setting — set it once (through the value the chart has for it)`);

  for (const source of opaque) add('contract.env.opaque', `${where}: envFrom ${source} is not part of the render, so its variable names cannot be checked; set the variables with env (valueFrom secretKeyRef) instead`);

  for (const name of requiredVariables(surface.config)) {
    const source = vars.get(name);
    if (!source) {
      alreadyNamed.push(name);
      add('contract.env.required', `${where}: ${surface.component} requires ${name} (${properties[name]?.description ?? 'no default'}) but the chart does not set it; add it to the Deployment's env`);
      continue;
    }
    if (source.kind === 'secret' || source.kind === 'configMapKey') {
      if (source.optional) add('contract.env.required', `${where}: ${name} is required by ${surface.component} but its ${source.kind} reference is optional: drop 'optional: true'`);
      const kind = source.kind === 'secret' ? 'Secret' : 'ConfigMap';
      const object = objects.find((o) => o.kind === kind && o.metadata.name === source.name);
      const data = { ...((object?.data ?? {}) as object), ...((object?.stringData ?? {}) as object) };
      if (object && !(source.key in data)) add('contract.env.required', `${where}: ${name} reads key '${source.key}' of ${kind}/${source.name}, which has no such key (keys: ${Object.keys(data).join(', ')})`);
    }
  }

  const referenced = referencedNames(container);
  for (const name of vars.keys()) {
    if (name in properties || referenced.has(name) || READ_OUTSIDE_SCHEMA.some((r) => r.test(name))) continue;
    add(
      'contract.env.unknown',
      `${where}: sets ${name}, which ${surface.component} does not read (not in its ServiceConfig, ${schemaFile}); fix the name, remove it, or add it to the service's schema`,
    );
  }

  // $(NAME) in a value is expanded only when NAME is defined earlier in env; otherwise the
  // service receives the literal text.
  const earlier = new Set<string>();
  for (const entry of container.env ?? []) {
    for (const match of (entry.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
      if (!earlier.has(match[1]!))
        add('contract.env.reference', `${where}: ${entry.name} refers to $(${match[1]}), which is not defined before it in env, so the service gets the literal text; define ${match[1]} first`);
    }
    earlier.add(entry.name);
  }

  // Each plain value alone, through the service's own start-up check (loadConfig: defaults, then
  // strings converted to numbers/booleans, then the schema), over an environment that is valid
  // otherwise — so every bad value is named, not only the first.
  const baseline: Record<string, string> = {};
  for (const name of requiredVariables(surface.config)) {
    const value = testEnv()[name] ?? standInExample(properties[name]);
    if (value !== undefined) baseline[name] = value;
  }
  for (const [name, source] of vars) {
    if (source.kind !== 'value' || !(name in properties) || source.value === '') continue;
    try {
      loadConfig(surface.config, { ...baseline, [name]: source.value });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // Only this variable's own problem; rules across variables are the whole load's to report.
      if (error.message.startsWith(`${name} is invalid`)) {
        alreadyNamed.push(name);
        add('contract.env.value', `${where}: ${name}=${JSON.stringify(source.value)} (${source.from}) is refused by ${surface.component}: ${error.message}`);
      }
    }
  }

  // Then the whole configuration as the service loads it, rules across variables included, with
  // stand-ins for what the render cannot show (values from Secrets made outside the chart).
  const namespace = template.owner.metadata.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const [name, source] of vars) {
    if (!(name in properties)) continue;
    const value = standIn(name, properties[name], source, objects, namespace, `${template.owner.metadata.name}-7d9c6b5f4-abcde`);
    if (value !== undefined) env[name] = value;
  }
  try {
    loadConfig(surface.config, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A problem of one variable already named above is not repeated; what is left is a rule
    // across variables (or a stand-in the render made up, which the message then shows).
    if (!alreadyNamed.some((name) => error.message.startsWith(`${name} `)))
      add('contract.env.load', `${where}: ${surface.component} would refuse to start with the chart's environment: ${error.message}`);
  }
  return out;
}

/** A container port by name or number. */
function containerPort(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** The PORT the service will listen on: the chart's plain value, else the schema default. */
function listenPort(objects: K8sObject[], container: Container, surface: ServiceSurface): number | undefined {
  const source = resolveEnv(objects, container).vars.get('PORT');
  if (!source) return propertiesOf(surface.config).PORT?.default as number | undefined;
  return source.kind === 'value' && /^\d+$/.test(source.value) ? Number(source.value) : undefined;
}

/** Services whose selector selects this Deployment's pods. */
function servicesSelecting(objects: K8sObject[], template: PodTemplate): K8sObject[] {
  const labels = (field(template.owner, 'spec', 'template', 'metadata', 'labels') ?? {}) as Record<string, string>;
  return objects.filter((o) => {
    if (o.kind !== 'Service') return false;
    const selector = field(o, 'spec', 'selector') as Record<string, string> | undefined;
    return !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
  });
}

/**
 * The component each Service sends to, for Services in front of exactly one service Deployment
 * (one that selects more is reported by routingViolations and left out here, so its fault is
 * named once instead of as every route and URL through it).
 */
function componentsOfServices(objects: K8sObject[]): Map<string, string> {
  const selected = new Map<string, string[]>();
  for (const template of serviceDeployments(objects))
    for (const service of servicesSelecting(objects, template)) selected.set(service.metadata.name, [...(selected.get(service.metadata.name) ?? []), template.component!]);
  return new Map([...selected].filter(([, components]) => components.length === 1).map(([name, components]) => [name, components[0]!]));
}

const PROBES = ['startupProbe', 'readinessProbe', 'livenessProbe'] as const;

/** A route pattern (`/cart/items/:id`) as a matcher of literal paths. */
const matchesRoute = (pattern: string, path: string): boolean =>
  new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\*$/, '.*').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`).test(path);

export function portAndProbeViolations(template: PodTemplate, surface: ServiceSurface, objects: K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const container = serviceContainer(template);
  if (!container) return out;
  const add = (object: string, rule: string, message: string) => out.push(violation(object, rule, message));
  const where = `container '${container.name}'`;
  const port = listenPort(objects, container, surface);
  const declared = (container.ports ?? []).map((p) => p.containerPort);
  if (port === undefined) add(template.ref, 'contract.port', `${where}: PORT is not a plain number, so the port the service listens on is unknown`);
  else if (!declared.includes(port)) add(template.ref, 'contract.port', `${where}: the service listens on PORT=${port} but the container declares ports ${declared.join(', ') || 'none'}; make containerPort ${port}`);

  for (const name of PROBES) {
    const probe = container[name] as Probe | undefined;
    if (!probe) continue;
    if (!probe.httpGet) {
      add(template.ref, 'contract.probe', `${where}: ${name} is not an httpGet probe; probe the platform's HTTP endpoints`);
      continue;
    }
    const target = containerPort(container, probe.httpGet.port);
    if (target === undefined || target !== port)
      add(template.ref, 'contract.probe', `${where}: ${name} probes port ${String(probe.httpGet.port)} (${target ?? 'no such container port'}) but the service listens on ${port}`);
    const path = (probe.httpGet.path ?? '/').split('?')[0]!;
    if (!surface.routes.some((r) => r.method === 'GET' && matchesRoute(r.url, path))) {
      const known = surface.routes.filter((r) => r.method === 'GET' && !r.url.startsWith(surfacePrefix(surface))).map((r) => r.url);
      add(template.ref, 'contract.probe', `${where}: ${name} asks GET ${path}, which ${surface.component} does not serve (its health routes: ${known.join(', ')}; packages/platform/src/health.ts)`);
    }
  }

  const services = servicesSelecting(objects, template);
  if (services.length === 0) add(template.ref, 'contract.service', `no Service selects the pods of ${template.ref}; add one with the pods' selector labels`);
  for (const service of services) {
    for (const servicePort of (field(service, 'spec', 'ports') ?? []) as Array<{ name?: string; port: number; targetPort?: number | string }>) {
      const target = containerPort(container, servicePort.targetPort ?? servicePort.port);
      if (target === undefined)
        add(refOf(service), 'contract.service', `port ${servicePort.name ?? servicePort.port} has targetPort ${String(servicePort.targetPort)}, which is no port of ${where} in ${template.ref}; use the container port's name (http)`);
      else if (target !== port) add(refOf(service), 'contract.service', `port ${servicePort.name ?? servicePort.port} sends to ${target} but the service listens on ${port}`);
    }
  }
  return out;
}

/** Where a variable's value comes from, comparable across containers. */
const sourceKey = (source: EnvSource | undefined): string =>
  !source ? 'unset' : source.kind === 'value' ? `value ${source.value}` : source.kind === 'secret' || source.kind === 'configMapKey' ? `${source.kind} ${source.name}/${source.key}` : source.kind;

/**
 * The migrate init container (image anypod/migrate, entry tools/images/migrate-entry.mjs) applies
 * the migrations of the service named in its args, to the database in its DATABASE_URL: that
 * must be this pod's own service, and the very database the service then uses.
 */
export function migrateViolations(template: PodTemplate, surface: ServiceSurface, objects: K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const migrate = (template.spec.initContainers ?? []).find((c) => c.name === 'migrate' || (c.image ?? '').includes('anypod/migrate'));
  const container = serviceContainer(template);
  if (!migrate || !container) return out;
  const add = (message: string) => out.push(violation(template.ref, 'contract.migrate', `init container '${migrate.name}': ${message}`));
  const args = [...(migrate.command ?? []), ...(migrate.args ?? [])];
  if (args.length !== 1 || args[0] !== surface.component) add(`args are ${JSON.stringify(args)}; give exactly ["${surface.component}"], the service whose pod this is`);
  if (!surface.hasMigrations) add(`${surface.component} has no Prisma migrations (services/${surface.component}/prisma) to apply; remove the init container`);
  const mine = resolveEnv(objects, migrate).vars;
  const serviceUrl = sourceKey(resolveEnv(objects, container).vars.get('DATABASE_URL'));
  const migrateUrl = sourceKey(mine.get('DATABASE_URL'));
  if (migrateUrl !== serviceUrl) add(`DATABASE_URL comes from ${migrateUrl} but the service's from ${serviceUrl}: migrations must go to the database the service uses`);
  for (const name of mine.keys())
    if (name !== 'DATABASE_URL' && !/^(PRISMA_|NODE_|OTEL_)/.test(name)) add(`sets ${name}, which the migrate entry (tools/prisma/deploy.mjs: DATABASE_URL only) does not read`);
  return out;
}

/** The Service an in-cluster URL names: `name`, `name.namespace`, `name.namespace.svc[.cluster.local]`. */
function serviceOfHost(host: string, namespace: string): { name: string; namespace: string } | undefined {
  const labels = host.split('.');
  if (labels.length === 1) return { name: host, namespace };
  if (labels.length === 2 || labels[2] === 'svc') return { name: labels[0]!, namespace: labels[1]! };
  return undefined; // a host outside the cluster (external Postgres, cache): nothing to check here
}

/**
 * Every URL a service is given that points into the release (AUTH_JWKS_URL, CATALOG_URL,
 * REDIS_URL, DATABASE_URL from a rendered Secret, the OTLP endpoint) names a rendered Service and
 * one of its ports; an http URL to one of the services names a path that service serves.
 */
export function urlViolations(template: PodTemplate, objects: K8sObject[], surfaces: ServiceSurface[]): Violation[] {
  const out: Violation[] = [];
  const container = serviceContainer(template);
  if (!container) return out;
  const namespace = template.owner.metadata.namespace ?? 'default';
  const releaseServices = objects.filter((o) => o.kind === 'Service');
  const componentOf = componentsOfServices(objects);
  for (const [name, source] of resolveEnv(objects, container).vars) {
    const text = source.kind === 'value' ? source.value : source.kind === 'secret' ? standIn(name, undefined, source, objects, namespace, '') : undefined;
    if (!text || !/^(https?|rediss?|postgres(ql)?):\/\//.test(text)) continue;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      continue; // not a URL: the schema check reports it
    }
    const target = serviceOfHost(url.hostname, namespace);
    if (!target || target.namespace !== namespace) continue;
    const where = `container '${container.name}': ${name} (${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname})`;
    const service = releaseServices.find((o) => o.metadata.name === target.name && (o.metadata.namespace ?? namespace) === target.namespace);
    if (!service) {
      // Secrets made outside the chart and test stand-ins point elsewhere; only the chart's own values must resolve.
      if (source.kind === 'value' || objects.some((o) => o.kind === 'Secret' && source.kind === 'secret' && o.metadata.name === source.name))
        out.push(violation(template.ref, 'contract.url', `${where} names Service ${target.name}, which the release does not render`));
      continue;
    }
    const defaultPort = { 'http:': 80, 'https:': 443, 'redis:': 6379, 'rediss:': 6379, 'postgres:': 5432, 'postgresql:': 5432 }[url.protocol] ?? 0;
    const port = url.port === '' ? defaultPort : Number(url.port);
    const ports = ((field(service, 'spec', 'ports') ?? []) as Array<{ port: number; name?: string }>).map((p) => p.port);
    if (!ports.includes(port)) out.push(violation(template.ref, 'contract.url', `${where} uses port ${port}, but Service ${target.name} has ${ports.join(', ')}; build the URL from the Service's port`));
    const component = componentOf.get(target.name);
    const surface = surfaces.find((s) => s.component === component);
    if (surface && url.protocol.startsWith('http') && url.pathname !== '/' && !surface.routes.some((r) => r.method === 'GET' && matchesRoute(r.url, url.pathname)))
      out.push(violation(template.ref, 'contract.url', `${where}: ${component} serves no GET ${url.pathname}`));
  }
  return out;
}

/** The service's public prefix: where its OpenAPI document is served, minus /openapi.json. */
export const surfacePrefix = (surface: ServiceSurface): string => surface.openapiUrl.replace(/\/openapi\.json$/, '');

/** Gateway API PathPrefix / Ingress Prefix matching: whole path elements, trailing slash ignored. */
export function underPrefix(path: string, prefix: string): boolean {
  const p = prefix.replace(/\/+$/, '');
  return p === '' || path === p || path.startsWith(`${p}/`);
}

interface RouteRule {
  /** "HTTPRoute/anypod-auth" */
  object: string;
  prefix: string;
  /** the Service the rule sends to, and the port it names */
  backend: string;
  port: number | string | undefined;
  exact: boolean;
}

/** Every path rule of the rendered HTTPRoutes and Ingresses, grouped by routing kind. */
export function routeRules(objects: K8sObject[]): Map<string, RouteRule[]> {
  const byKind = new Map<string, RouteRule[]>();
  const push = (kind: string, rule: RouteRule) => byKind.set(kind, [...(byKind.get(kind) ?? []), rule]);
  for (const o of objects) {
    if (o.kind === 'HTTPRoute') {
      for (const rule of (field(o, 'spec', 'rules') ?? []) as Array<{ matches?: Array<{ path?: { type?: string; value?: string } }>; backendRefs?: Array<{ name: string; port?: number; kind?: string }> }>) {
        const backends = (rule.backendRefs ?? []).filter((b) => (b.kind ?? 'Service') === 'Service');
        const matches = rule.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }];
        for (const match of matches) {
          for (const backend of backends)
            push('HTTPRoute', { object: refOf(o), prefix: match.path?.value ?? '/', exact: match.path?.type === 'Exact', backend: backend.name, port: backend.port });
        }
      }
    }
    if (o.kind === 'Ingress') {
      for (const rule of (field(o, 'spec', 'rules') ?? []) as Array<{ http?: { paths?: Array<{ path?: string; pathType?: string; backend?: { service?: { name: string; port?: { name?: string; number?: number } } } }> } }>) {
        for (const path of rule.http?.paths ?? []) {
          const service = path.backend?.service;
          if (!service) continue;
          push('Ingress', { object: refOf(o), prefix: path.path ?? '/', exact: path.pathType === 'Exact', backend: service.name, port: service.port?.name ?? service.port?.number });
        }
      }
    }
  }
  return byKind;
}

export function routingViolations(objects: K8sObject[], surfaces: ServiceSurface[]): Violation[] {
  const out: Violation[] = [];
  const componentOfService = componentsOfServices(objects);

  // Each service's public paths all live under the prefix its OpenAPI document is served from.
  for (const surface of surfaces) {
    const prefix = surfacePrefix(surface);
    const outside = surface.openapiPaths.filter((path) => !underPrefix(path, prefix));
    if (outside.length > 0) out.push(violation(`service ${surface.component}`, 'contract.routes.prefix', `public routes outside its prefix ${prefix}: ${outside.join(', ')} (no route rule would reach them)`));
  }

  // A Service in front of a service's pods selects those pods only: a selector that also
  // matches another workload's pods would send that service's traffic to them.
  const templatesAll = podTemplates(objects).filter((t) => t.owner.kind !== 'Pod');
  const inFront = new Set(serviceDeployments(objects).flatMap((t) => servicesSelecting(objects, t)));
  for (const service of inFront) {
    const selector = (field(service, 'spec', 'selector') ?? {}) as Record<string, string>;
    const selected = templatesAll.filter((t) => {
      const labels = (field(t.owner, 'spec', 'template', 'metadata', 'labels') ?? {}) as Record<string, string>;
      return Object.entries(selector).every(([k, v]) => labels[k] === v);
    });
    if (selected.length > 1)
      out.push(violation(refOf(service), 'contract.service', `its selector ${JSON.stringify(selector)} matches the pods of ${selected.map((t) => t.ref).join(', ')}; select one component (app.kubernetes.io/component)`));
  }

  // HTTPRoutes attach to a listener the rendered Gateway has.
  for (const route of objects.filter((o) => o.kind === 'HTTPRoute')) {
    for (const parent of (field(route, 'spec', 'parentRefs') ?? []) as Array<{ name: string; namespace?: string; kind?: string; sectionName?: string; port?: number }>) {
      if ((parent.kind ?? 'Gateway') !== 'Gateway') continue;
      const gateway = objects.find((o) => o.kind === 'Gateway' && o.metadata.name === parent.name && (parent.namespace === undefined || o.metadata.namespace === parent.namespace));
      if (!gateway) continue; // an existing Gateway outside the release (gateway.create false)
      const listeners = (field(gateway, 'spec', 'listeners') ?? []) as Array<{ name: string; port: number }>;
      if (parent.sectionName !== undefined && !listeners.some((l) => l.name === parent.sectionName))
        out.push(violation(refOf(route), 'contract.routes.parent', `parentRef sectionName ${parent.sectionName} is no listener of Gateway/${gateway.metadata.name} (listeners: ${listeners.map((l) => l.name).join(', ')}); the route would never be attached`));
      if (parent.port !== undefined && !listeners.some((l) => l.port === parent.port))
        out.push(violation(refOf(route), 'contract.routes.parent', `parentRef port ${parent.port} is no listener port of Gateway/${gateway.metadata.name}`));
    }
  }

  for (const [kind, rules] of routeRules(objects)) {
    for (const rule of rules) {
      const component = componentOfService.get(rule.backend);
      if (!component && [...inFront].some((s) => s.metadata.name === rule.backend)) continue; // its selector is reported above
      if (!component) {
        out.push(violation(rule.object, 'contract.routes.backend', `path ${rule.prefix} sends to Service ${rule.backend}, which selects no service Deployment; use <release>-<component>`));
        continue;
      }
      const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === rule.backend)!;
      const ports = (field(service, 'spec', 'ports') ?? []) as Array<{ name?: string; port: number }>;
      if (rule.port !== undefined && !ports.some((p) => p.port === rule.port || p.name === rule.port))
        out.push(violation(rule.object, 'contract.routes.port', `path ${rule.prefix} sends to port ${rule.port} of Service ${rule.backend}, which has ports ${ports.map((p) => `${p.name ?? ''}:${p.port}`).join(', ')}`));
      const owner = surfaces.find((s) => s.component === component);
      if (!owner) continue;
      const reached = (path: string) => (rule.exact ? path === rule.prefix : underPrefix(path, rule.prefix));
      if (!owner.openapiPaths.some(reached))
        out.push(
          violation(rule.object, 'contract.routes.path', `path ${rule.prefix} sends to ${rule.backend} (${component}), which serves nothing under it; ${component}'s routes are under ${surfacePrefix(owner)}`),
        );
      for (const other of surfaces) {
        if (other.component === component) continue;
        const stolen = other.openapiPaths.filter(reached);
        if (stolen.length > 0) out.push(violation(rule.object, 'contract.routes.path', `path ${rule.prefix} sends to ${component} but ${other.component} serves ${stolen.slice(0, 3).join(', ')} under it`));
      }
    }
    // Every public path of every service is reachable through this kind of routing.
    for (const surface of surfaces) {
      const mine = rules.filter((r) => componentOfService.get(r.backend) === surface.component);
      const unreachable = surface.openapiPaths.filter((path) => !mine.some((r) => (r.exact ? path === r.prefix : underPrefix(path, r.prefix))));
      if (unreachable.length > 0)
        out.push(
          violation(
            `${kind} rules`,
            'contract.routes.missing',
            `${surface.component}'s public routes are not routed to its Service: ${unreachable.slice(0, 3).join(', ')}${unreachable.length > 3 ? ', …' : ''}; add a rule for ${surfacePrefix(surface)}`,
          ),
        );
    }
  }
  return out;
}

/** Every contract check over a render. */
export function contractViolations(objects: K8sObject[], surfaces: ServiceSurface[]): Violation[] {
  const out: Violation[] = [];
  const templates = serviceDeployments(objects);
  for (const surface of surfaces) {
    const template = templates.find((t) => t.component === surface.component);
    if (!template) {
      out.push(violation('release', 'contract.deployment', `no Deployment with app.kubernetes.io/component: ${surface.component} was rendered`));
      continue;
    }
    out.push(...envViolations(template, surface, objects), ...portAndProbeViolations(template, surface, objects), ...urlViolations(template, objects, surfaces), ...migrateViolations(template, surface, objects));
  }
  out.push(...routingViolations(objects, surfaces));
  return out;
}
