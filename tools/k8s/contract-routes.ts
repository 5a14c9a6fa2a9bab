// The contract's network checks (tools/k8s/contract.ts): ports and probes of a service's
// container, the URLs the chart gives the services, and the HTTPRoute/Ingress rules against the
// routes each service serves.
import { propertiesOf, standIn } from './contract-env.ts';
import type { ServiceSurface } from './contract.ts';
import type { K8sObject } from './render.ts';
import { violation, type Violation } from './violations.ts';
import { field, podTemplates, refOf, resolveEnv, serviceContainer, serviceDeployments, servicesSelecting, type Container, type PodTemplate, type Probe } from './workloads.ts';

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

/** The Service an in-cluster URL names: `name`, `name.namespace`, `name.namespace.svc[.cluster.local]`. */
function serviceOfHost(host: string, namespace: string): { name: string; namespace: string } | undefined {
  const labels = host.split('.');
  if (labels.length === 1) return { name: host, namespace };
  if (labels.length === 2 || labels[2] === 'svc') return { name: labels[0]!, namespace: labels[1]! };
  return undefined; // a host outside the cluster (external Postgres, cache): nothing to check here
}

interface UrlContext {
  objects: K8sObject[];
  surfaces: ServiceSurface[];
  namespace: string;
  componentOf: Map<string, string>;
}

/**
 * One in-release URL: it names a rendered Service and one of its ports, and when that Service is
 * a service's, an http path the service serves. `mustResolve` false: a URL from outside the
 * chart (a Secret made beforehand) may point elsewhere.
 */
function checkUrl(text: string, where: string, context: UrlContext, mustResolve: boolean): string[] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return []; // not a URL: the schema check reports it
  }
  const target = serviceOfHost(url.hostname, context.namespace);
  if (!target || target.namespace !== context.namespace) return [];
  const at = `${where} (${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname})`;
  const service = context.objects.find((o) => o.kind === 'Service' && o.metadata.name === target.name && (o.metadata.namespace ?? context.namespace) === target.namespace);
  if (!service) return mustResolve ? [`${at} names Service ${target.name}, which the release does not render`] : [];
  const problems: string[] = [];
  const defaultPort = { 'http:': 80, 'https:': 443, 'redis:': 6379, 'rediss:': 6379, 'postgres:': 5432, 'postgresql:': 5432 }[url.protocol] ?? 0;
  const port = url.port === '' ? defaultPort : Number(url.port);
  const ports = ((field(service, 'spec', 'ports') ?? []) as Array<{ port: number; name?: string }>).map((p) => p.port);
  if (!ports.includes(port)) problems.push(`${at} uses port ${port}, but Service ${target.name} has ${ports.join(', ')}; build the URL from the Service's port`);
  const component = context.componentOf.get(target.name);
  const surface = context.surfaces.find((s) => s.component === component);
  if (surface && url.protocol.startsWith('http') && url.pathname !== '/' && !surface.routes.some((r) => r.method === 'GET' && matchesRoute(r.url, url.pathname)))
    problems.push(`${at}: ${component} serves no GET ${url.pathname}`);
  return problems;
}

const URL_PATTERN = /\b(?:https?|rediss?|postgres(?:ql)?):\/\/[^\s"'<>]+/g;

/**
 * Every URL a service is given that points into the release (AUTH_JWKS_URL, CATALOG_URL,
 * REDIS_URL, DATABASE_URL from a rendered Secret, the OTLP endpoint) names a rendered Service and
 * one of its ports; an http URL to one of the services names a path that service serves.
 */
export function urlViolations(template: PodTemplate, objects: K8sObject[], surfaces: ServiceSurface[]): Violation[] {
  const container = serviceContainer(template);
  if (!container) return [];
  const namespace = template.owner.metadata.namespace ?? 'default';
  const context: UrlContext = { objects, surfaces, namespace, componentOf: componentsOfServices(objects) };
  const out: Violation[] = [];
  for (const [name, source] of resolveEnv(objects, container).vars) {
    const text = source.kind === 'value' ? source.value : source.kind === 'secret' ? standIn(name, undefined, source, objects, namespace, '') : undefined;
    if (!text || !/^(https?|rediss?|postgres(ql)?):\/\//.test(text)) continue;
    // Secrets made outside the chart and test stand-ins point elsewhere; only the chart's own values must resolve.
    const mustResolve = source.kind === 'value' || objects.some((o) => o.kind === 'Secret' && source.kind === 'secret' && o.metadata.name === source.name);
    for (const problem of checkUrl(text, `container '${container.name}': ${name}`, context, mustResolve)) out.push(violation(template.ref, 'contract.url', problem));
  }
  return out;
}

/**
 * The `helm test` pods call the services through their Services: every URL in their env, args
 * or command (TARGETS is a JSON list of them) must reach a Service port and a path it serves.
 */
export function testHookViolations(objects: K8sObject[], surfaces: ServiceSurface[]): Violation[] {
  const out: Violation[] = [];
  const componentOf = componentsOfServices(objects);
  for (const template of podTemplates(objects).filter((t) => t.owner.kind === 'Pod' && t.owner.metadata.annotations?.['helm.sh/hook'] === 'test')) {
    const context: UrlContext = { objects, surfaces, namespace: template.owner.metadata.namespace ?? 'default', componentOf };
    for (const container of template.spec.containers) {
      const texts = [...(container.env ?? []).map((e) => [e.name, e.value ?? ''] as const), ...[...(container.command ?? []), ...(container.args ?? [])].map((t) => ['command', t] as const)];
      for (const [name, text] of texts)
        for (const match of text.matchAll(URL_PATTERN))
          for (const problem of checkUrl(match[0], `container '${container.name}': ${name}`, context, true)) out.push(violation(template.ref, 'contract.url', problem));
    }
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
