// Pure translation: the chart's routing objects and the EndpointSlices of their backends, as the
// API server holds them, into the nginx routes of tools/cluster/nginx-config.ts. No I/O here, so every
// rule of what is supported is unit-tested with objects taken from k8s/.
//
// Supported (what helm/anypod/templates/routes.yaml renders, nothing more):
//   HTTPRoute (gateway.networking.k8s.io/v1): rules whose matches are only `path: PathPrefix`,
//     with exactly one backendRef to a Service in the route's namespace, by port number.
//   Ingress (networking.k8s.io/v1): rules whose paths are `pathType: Prefix` with a
//     `backend.service` (port by name or number).
// Everything else is refused with a problem naming the object, never guessed at. Hostnames and
// TLS are ignored with a problem (this fixture answers plain HTTP on any host).
import type { V1EndpointSlice, V1Ingress, V1Service, V1ServicePort } from '@kubernetes/client-node';
import type { RouteSpec, UpstreamServer } from '../../cluster/nginx-config.ts';
import { SERVICE_NAMES } from '../../cluster/paths.ts';
import type { ServiceName } from '../../cluster/types.ts';

/** The parts of an HTTPRoute this fixture reads (client-node has no model for CRDs). */
export interface HTTPRoute {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: {
    parentRefs?: unknown[];
    hostnames?: string[];
    rules?: HTTPRouteRule[];
  };
}

export interface HTTPRouteRule {
  name?: string;
  matches?: Array<{ path?: { type?: string; value?: string }; headers?: unknown[]; queryParams?: unknown[]; method?: string }>;
  filters?: unknown[];
  backendRefs?: Array<{ group?: string; kind?: string; name?: string; namespace?: string; port?: number; weight?: number; filters?: unknown[] }>;
  timeouts?: unknown;
  retry?: unknown;
  sessionPersistence?: unknown;
}

export interface ClusterState {
  /** the namespace watched: backends elsewhere are refused */
  namespace: string;
  httpRoutes: readonly HTTPRoute[];
  ingresses: readonly V1Ingress[];
  services: readonly V1Service[];
  endpointSlices: readonly V1EndpointSlice[];
}

/** Something in the cluster this fixture does not do; `object` is `Kind/name`. */
export interface Problem {
  object: string;
  /** refused: not routed at all; ignored: routed, without the named part */
  action: 'refused' | 'ignored';
  message: string;
}

export interface Translation {
  routes: RouteSpec[];
  problems: Problem[];
}

/** Where a path is to go: the Service and which of its ports. */
interface Backend {
  service: string;
  port: { number: number } | { name: string };
}

interface Candidate {
  object: string;
  prefix: string;
  backend: Backend;
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function translate(state: ClusterState): Translation {
  const problems: Problem[] = [];
  const candidates: Candidate[] = [
    ...byName(state.httpRoutes).flatMap((r) => fromHTTPRoute(r, state.namespace, problems)),
    ...byName(state.ingresses).flatMap((i) => fromIngress(i, problems)),
  ];

  const routes = new Map<ServiceName, { route: RouteSpec; candidate: Candidate }>();
  for (const candidate of candidates) {
    const service = serviceOfPrefix(candidate.prefix);
    if (!service) {
      problems.push({
        object: candidate.object,
        action: 'refused',
        message: `path ${candidate.prefix}: only /${SERVICE_NAMES.join(', /')} are routed (the chart's paths)`,
      });
      continue;
    }
    const existing = routes.get(service);
    if (existing) {
      // The chart can render both an HTTPRoute and an Ingress for the same path (both-routes
      // values): the same backend is one route; a different one is a conflict, and the first
      // (HTTPRoutes before Ingresses, each by name) is kept.
      if (!sameBackend(existing.candidate.backend, candidate.backend, state.services)) {
        problems.push({
          object: candidate.object,
          action: 'refused',
          message: `path ${candidate.prefix} is already routed to Service ${existing.candidate.backend.service} by ${existing.candidate.object}`,
        });
      }
      continue;
    }
    const servers = endpointsOf(candidate, state, problems);
    routes.set(service, { route: { service, prefix: candidate.prefix, servers }, candidate });
  }
  const ordered = SERVICE_NAMES.flatMap((s) => {
    const entry = routes.get(s);
    return entry ? [entry.route] : [];
  });
  return { routes: ordered, problems };
}

/** The pod names in rotation per service, as the local cluster's `ingress-reloaded` event has them. */
export function endpointNames(routes: readonly RouteSpec[]): Partial<Record<ServiceName, string[]>> {
  const out: Partial<Record<ServiceName, string[]>> = {};
  for (const route of routes) out[route.service] = route.servers.map((s) => s.name).sort();
  return out;
}

function byName<T extends { metadata?: { name?: string } }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

/** `/cart` → cart: the chart routes each service at /<name>. */
function serviceOfPrefix(prefix: string): ServiceName | undefined {
  return SERVICE_NAMES.find((s) => prefix === `/${s}`);
}

function fromHTTPRoute(route: HTTPRoute, namespace: string, problems: Problem[]): Candidate[] {
  const object = `HTTPRoute/${route.metadata?.name ?? '?'}`;
  const refuse = (message: string): [] => {
    problems.push({ object, action: 'refused', message });
    return [];
  };
  const spec = route.spec ?? {};
  if (spec.hostnames?.length) {
    problems.push({ object, action: 'ignored', message: `hostnames ${spec.hostnames.join(', ')}: this fixture routes by path on any host` });
  }
  const out: Candidate[] = [];
  for (const [index, rule] of (spec.rules ?? []).entries()) {
    const where = `rule ${rule.name ?? index}`;
    const extras = (['filters', 'timeouts', 'retry', 'sessionPersistence'] as const).filter((k) => {
      const v = rule[k];
      return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null;
    });
    if (extras.length) {
      refuse(`${where}: ${extras.join(', ')} not supported`);
      continue;
    }
    const refs = rule.backendRefs ?? [];
    const ref = refs[0];
    if (refs.length !== 1 || !ref) {
      refuse(`${where}: exactly one backendRef is supported, found ${refs.length}`);
      continue;
    }
    if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') {
      refuse(`${where}: backendRef ${ref.group ?? ''}/${ref.kind}: only core Services are supported`);
      continue;
    }
    if (ref.namespace && ref.namespace !== namespace) {
      refuse(`${where}: backendRef to namespace ${ref.namespace}: only Services in ${namespace} are supported`);
      continue;
    }
    if (!ref.name || typeof ref.port !== 'number') {
      refuse(`${where}: backendRef needs a Service name and a port number`);
      continue;
    }
    if (ref.filters?.length) {
      refuse(`${where}: backendRef filters not supported`);
      continue;
    }
    const matches = rule.matches ?? [];
    if (matches.length === 0) {
      refuse(`${where}: no matches (a catch-all rule) is not supported; give a PathPrefix`);
      continue;
    }
    for (const match of matches) {
      const path = match.path;
      const unsupported = [
        match.headers?.length ? 'headers' : '',
        match.queryParams?.length ? 'queryParams' : '',
        match.method ? 'method' : '',
      ].filter(Boolean);
      if (unsupported.length) {
        refuse(`${where}: match on ${unsupported.join(', ')} not supported (only path PathPrefix)`);
      } else if (!path || path.type !== 'PathPrefix' || !path.value) {
        refuse(`${where}: path match ${path?.type ?? '(none)'} ${path?.value ?? ''} not supported (only PathPrefix)`);
      } else {
        out.push({ object, prefix: trimSlash(path.value), backend: { service: ref.name, port: { number: ref.port } } });
      }
    }
  }
  return out;
}

function fromIngress(ingress: V1Ingress, problems: Problem[]): Candidate[] {
  const object = `Ingress/${ingress.metadata?.name ?? '?'}`;
  const spec = ingress.spec ?? {};
  if (spec.defaultBackend) problems.push({ object, action: 'refused', message: 'defaultBackend not supported' });
  if (spec.tls?.length) problems.push({ object, action: 'ignored', message: 'tls: this fixture answers plain HTTP' });
  const out: Candidate[] = [];
  for (const rule of spec.rules ?? []) {
    if (rule.host) problems.push({ object, action: 'ignored', message: `host ${rule.host}: this fixture routes by path on any host` });
    for (const path of rule.http?.paths ?? []) {
      const backend = path.backend.service;
      if (path.pathType !== 'Prefix') {
        problems.push({ object, action: 'refused', message: `path ${path.path ?? ''}: pathType ${path.pathType} not supported (only Prefix)` });
      } else if (!backend || !path.path) {
        problems.push({ object, action: 'refused', message: `path ${path.path ?? '(none)'}: only a path with a backend.service is supported` });
      } else {
        const port = backend.port?.name ? { name: backend.port.name } : backend.port?.number !== undefined ? { number: backend.port.number } : undefined;
        if (!port) problems.push({ object, action: 'refused', message: `path ${path.path}: backend.service.port is missing` });
        else out.push({ object, prefix: trimSlash(path.path), backend: { service: backend.name, port } });
      }
    }
  }
  return out;
}

/** `/cart/` and `/cart` are the same element-wise prefix. */
function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function servicePort(backend: Backend, services: readonly V1Service[]): { service?: V1Service; port?: V1ServicePort } {
  const service = services.find((s) => s.metadata?.name === backend.service);
  const ports = service?.spec?.ports ?? [];
  const port = 'number' in backend.port ? ports.find((p) => p.port === (backend.port as { number: number }).number) : ports.find((p) => p.name === (backend.port as { name: string }).name);
  return { service, port };
}

function sameBackend(a: Backend, b: Backend, services: readonly V1Service[]): boolean {
  if (a.service !== b.service) return false;
  const pa = servicePort(a, services).port;
  const pb = servicePort(b, services).port;
  return pa !== undefined ? pa === pb : JSON.stringify(a.port) === JSON.stringify(b.port);
}

/**
 * The ready, not terminating endpoints of the backend's Service port, from its EndpointSlices:
 * address = the endpoint's first address (the pod IP), port = the slice port carrying the
 * Service port's name, name = the pod (targetRef). Never the ClusterIP.
 */
function endpointsOf(candidate: Candidate, state: ClusterState, problems: Problem[]): UpstreamServer[] {
  const { service, port } = servicePort(candidate.backend, state.services);
  const backendText = `Service ${candidate.backend.service} port ${'number' in candidate.backend.port ? candidate.backend.port.number : candidate.backend.port.name}`;
  if (!service) {
    // Not an error for long: the Service may simply not be created yet. Routed as 503 meanwhile.
    problems.push({ object: candidate.object, action: 'ignored', message: `${backendText}: no such Service yet (answering 503)` });
    return [];
  }
  if (!port) {
    problems.push({ object: candidate.object, action: 'ignored', message: `${backendText}: the Service has no such port (answering 503)` });
    return [];
  }
  const portName = port.name ?? '';
  const servers = new Map<string, UpstreamServer>();
  for (const slice of state.endpointSlices) {
    if (slice.metadata?.labels?.[SERVICE_NAME_LABEL] !== service.metadata?.name) continue;
    if (slice.addressType !== 'IPv4') {
      problems.push({ object: `EndpointSlice/${slice.metadata?.name}`, action: 'ignored', message: `addressType ${slice.addressType}: only IPv4 is supported` });
      continue;
    }
    const slicePort = (slice.ports ?? []).find((p) => (p.name ?? '') === portName);
    if (slicePort?.port === undefined) continue;
    for (const endpoint of slice.endpoints ?? []) {
      // The API's own defaults: a missing `ready` means ready, a missing `terminating` means not.
      if (endpoint.conditions?.ready === false || endpoint.conditions?.terminating === true) continue;
      const host = endpoint.addresses[0];
      if (!host) continue;
      const key = `${host}:${slicePort.port}`;
      // During a change one endpoint can be in two slices for a moment: it is one server.
      if (!servers.has(key)) servers.set(key, { name: endpoint.targetRef?.name ?? host, host, port: slicePort.port });
    }
  }
  return [...servers.values()].sort((a, b) => a.name.localeCompare(b.name) || a.port - b.port);
}
