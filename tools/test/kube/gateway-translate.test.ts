// The gateway fixture's translation (tools/kube/gateway/translate.ts) on the chart's own objects:
// the HTTPRoutes and Services of k8s/, the Ingress rendered with ci/both-routes-values.yaml, and
// EndpointSlices shaped as the EndpointSlice controller writes them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1EndpointSlice, V1Ingress, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { K8S_DIR, REPO_ROOT } from '../../cluster/paths.ts';
import { endpointNames, translate, type ClusterState, type HTTPRoute } from '../../kube/gateway/translate.ts';
import { ofKind, parseObjects, render } from '../../k8s/render.ts';

const k8s = readdirSync(K8S_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseObjects(readFileSync(join(K8S_DIR, f), 'utf8')));
const httpRoutes = ofKind(k8s, 'HTTPRoute') as unknown as HTTPRoute[];
const services = ofKind(k8s, 'Service') as unknown as V1Service[];

const clone = <T>(v: T): T => structuredClone(v);

interface Pod {
  name: string;
  ip: string;
  ready?: boolean;
  terminating?: boolean;
}

/** A slice as the EndpointSlice controller writes it for a chart Service (port name http → 3000). */
function slice(service: string, pods: Pod[], opts: { name?: string; portName?: string; port?: number; addressType?: string } = {}): V1EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: opts.name ?? `${service}-abcde`, namespace: 'anypod', labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
    addressType: opts.addressType ?? 'IPv4',
    ports: [{ name: opts.portName ?? 'http', port: opts.port ?? 3000, protocol: 'TCP' }],
    endpoints: pods.map((p) => ({
      addresses: [p.ip],
      conditions: { ready: p.ready ?? true, serving: p.ready ?? true, terminating: p.terminating ?? false },
      targetRef: { kind: 'Pod', namespace: 'anypod', name: p.name },
      nodeName: 'node',
    })),
  };
}

const pods = (service: string, n: number, from = 10): Pod[] => Array.from({ length: n }, (_, i) => ({ name: `anypod-${service}-7d9f-${i}`, ip: `10.244.0.${from + i}` }));

function state(over: Partial<ClusterState> = {}): ClusterState {
  return {
    namespace: 'anypod',
    httpRoutes,
    ingresses: [],
    services,
    endpointSlices: [slice('anypod-auth', pods('auth', 2, 10)), slice('anypod-catalog', pods('catalog', 2, 20)), slice('anypod-cart', pods('cart', 2, 30))],
    ...over,
  };
}

describe('the chart objects of k8s/', () => {
  it('has the HTTPRoutes and Services the fixture is written for', () => {
    expect(httpRoutes.map((r) => r.metadata?.name).sort()).toEqual(['anypod-auth', 'anypod-cart', 'anypod-catalog']);
    expect(services.map((s) => s.metadata?.name)).toEqual(expect.arrayContaining(['anypod-auth', 'anypod-catalog', 'anypod-cart']));
  });
});

describe('translate: HTTPRoutes', () => {
  it('routes /auth, /catalog, /cart to the pods of each backend Service, by pod IP and the slice port', () => {
    const { routes, problems } = translate(state());
    expect(problems).toEqual([]);
    expect(routes.map((r) => [r.service, r.prefix])).toEqual([
      ['auth', '/auth'],
      ['catalog', '/catalog'],
      ['cart', '/cart'],
    ]);
    expect(routes[2]!.servers).toEqual([
      { name: 'anypod-cart-7d9f-0', host: '10.244.0.30', port: 3000 },
      { name: 'anypod-cart-7d9f-1', host: '10.244.0.31', port: 3000 },
    ]);
    expect(endpointNames(routes)).toEqual({
      auth: ['anypod-auth-7d9f-0', 'anypod-auth-7d9f-1'],
      catalog: ['anypod-catalog-7d9f-0', 'anypod-catalog-7d9f-1'],
      cart: ['anypod-cart-7d9f-0', 'anypod-cart-7d9f-1'],
    });
  });

  it('keeps only endpoints that are ready and not terminating (a missing condition means ready / not terminating)', () => {
    const cart: Pod[] = [
      { name: 'ready', ip: '10.244.0.30' },
      { name: 'not-ready', ip: '10.244.0.31', ready: false },
      { name: 'terminating', ip: '10.244.0.32', ready: false, terminating: true },
      // terminating but still ready is impossible from the controller; it still leaves rotation
      { name: 'terminating-ready', ip: '10.244.0.33', ready: true, terminating: true },
    ];
    const s = slice('anypod-cart', cart);
    const unknown = slice('anypod-cart', [{ name: 'unknown', ip: '10.244.0.34' }], { name: 'anypod-cart-zzzzz' });
    delete unknown.endpoints![0]!.conditions;
    const { routes } = translate(state({ endpointSlices: [s, unknown] }));
    expect(endpointNames(routes).cart).toEqual(['ready', 'unknown']);
  });

  it('merges every slice of the Service, counts an endpoint in two slices once, and ignores other Services’ slices', () => {
    const a = slice('anypod-cart', [{ name: 'p1', ip: '10.244.0.30' }, { name: 'p2', ip: '10.244.0.31' }], { name: 'anypod-cart-a' });
    const b = slice('anypod-cart', [{ name: 'p2', ip: '10.244.0.31' }, { name: 'p3', ip: '10.244.0.32' }], { name: 'anypod-cart-b' });
    const other = slice('anypod-cartography', [{ name: 'x', ip: '10.244.0.99' }], { name: 'anypod-cartography-a' });
    const { routes } = translate(state({ endpointSlices: [a, b, other] }));
    expect(endpointNames(routes).cart).toEqual(['p1', 'p2', 'p3']);
  });

  it('takes the slice port named like the Service port the route names (not the Service port number)', () => {
    const svc = clone(services);
    const cartSvc = svc.find((s) => s.metadata?.name === 'anypod-cart')!;
    cartSvc.spec!.ports = [
      { name: 'metrics', port: 9000, targetPort: 9464 as never },
      { name: 'http', port: 3000, targetPort: 'http' as never },
    ];
    const s = slice('anypod-cart', pods('cart', 1, 30), { port: 8080 });
    s.ports!.unshift({ name: 'metrics', port: 9464, protocol: 'TCP' });
    const { routes } = translate(state({ services: svc, endpointSlices: [s] }));
    expect(routes.find((r) => r.service === 'cart')!.servers).toEqual([{ name: 'anypod-cart-7d9f-0', host: '10.244.0.30', port: 8080 }]);
  });

  it('answers 503 (no servers) while the Service or its endpoints are missing, and says why', () => {
    const { routes, problems } = translate(state({ services: services.filter((s) => s.metadata?.name !== 'anypod-cart'), endpointSlices: [] }));
    expect(routes.map((r) => [r.service, r.servers.length])).toEqual([
      ['auth', 0],
      ['catalog', 0],
      ['cart', 0],
    ]);
    expect(problems).toEqual([{ object: 'HTTPRoute/anypod-cart', action: 'ignored', message: 'Service anypod-cart port 3000: no such Service yet (answering 503)' }]);
  });

  it('refuses every route shape the chart does not render, naming the object and the reason', () => {
    const base = httpRoutes.find((r) => r.metadata?.name === 'anypod-cart')!;
    const variant = (name: string, edit: (r: HTTPRoute) => void): HTTPRoute => {
      const r = clone(base);
      r.metadata!.name = name;
      edit(r);
      return r;
    };
    const rule = (r: HTTPRoute) => r.spec!.rules![0]!;
    const bad = [
      variant('exact', (r) => (rule(r).matches![0]!.path!.type = 'Exact')),
      variant('regex', (r) => (rule(r).matches![0]!.path!.type = 'RegularExpression')),
      variant('headers', (r) => (rule(r).matches![0]!.headers = [{ name: 'x', value: 'y' }])),
      variant('method', (r) => (rule(r).matches![0]!.method = 'GET')),
      variant('filters', (r) => (rule(r).filters = [{ type: 'URLRewrite' }])),
      variant('two-backends', (r) => rule(r).backendRefs!.push({ name: 'anypod-auth', port: 3000, weight: 1 })),
      variant('other-namespace', (r) => (rule(r).backendRefs![0]!.namespace = 'elsewhere')),
      variant('not-a-service', (r) => (rule(r).backendRefs![0]!.kind = 'ServiceImport')),
      variant('no-matches', (r) => delete rule(r).matches),
      variant('other-path', (r) => (rule(r).matches![0]!.path!.value = '/orders')),
    ];
    const { routes, problems } = translate(state({ httpRoutes: [...httpRoutes, ...bad] }));
    // The chart's own routes are untouched by the refused ones.
    expect(endpointNames(routes)).toEqual(endpointNames(translate(state()).routes));
    expect(problems.map((p) => `${p.object} ${p.action}: ${p.message}`)).toEqual([
      'HTTPRoute/exact refused: rule 0: path match Exact /cart not supported (only PathPrefix)',
      'HTTPRoute/filters refused: rule 0: filters not supported',
      'HTTPRoute/headers refused: rule 0: match on headers not supported (only path PathPrefix)',
      'HTTPRoute/method refused: rule 0: match on method not supported (only path PathPrefix)',
      'HTTPRoute/no-matches refused: rule 0: no matches (a catch-all rule) is not supported; give a PathPrefix',
      'HTTPRoute/not-a-service refused: rule 0: backendRef /ServiceImport: only core Services are supported',
      'HTTPRoute/other-namespace refused: rule 0: backendRef to namespace elsewhere: only Services in anypod are supported',
      'HTTPRoute/regex refused: rule 0: path match RegularExpression /cart not supported (only PathPrefix)',
      'HTTPRoute/two-backends refused: rule 0: exactly one backendRef is supported, found 2',
      'HTTPRoute/other-path refused: path /orders: only /auth, /catalog, /cart are routed (the chart\'s paths)',
    ]);
  });

  it('refuses a second route for a path to another Service, keeps the first', () => {
    const other = clone(httpRoutes.find((r) => r.metadata?.name === 'anypod-cart')!);
    other.metadata!.name = 'zz-cart-elsewhere';
    other.spec!.rules![0]!.backendRefs![0]!.name = 'anypod-auth';
    const { routes, problems } = translate(state({ httpRoutes: [...httpRoutes, other] }));
    expect(endpointNames(routes).cart).toEqual(['anypod-cart-7d9f-0', 'anypod-cart-7d9f-1']);
    expect(problems).toEqual([{ object: 'HTTPRoute/zz-cart-elsewhere', action: 'refused', message: 'path /cart is already routed to Service anypod-cart by HTTPRoute/anypod-cart' }]);
  });

  it('routes on any host, saying that a route’s hostnames are ignored', () => {
    const r = clone(httpRoutes).map((x) => ({ ...x, spec: { ...x.spec, hostnames: ['shop.example'] } }));
    const { routes, problems } = translate(state({ httpRoutes: r }));
    expect(routes).toHaveLength(3);
    expect(problems.filter((p) => p.action === 'ignored')).toHaveLength(3);
  });

  it('ignores non-IPv4 slices, saying so', () => {
    const v6 = slice('anypod-cart', [{ name: 'v6', ip: 'fd00::1' }], { name: 'anypod-cart-v6', addressType: 'IPv6' });
    const { routes, problems } = translate(state({ endpointSlices: [slice('anypod-cart', pods('cart', 1, 30)), v6] }));
    expect(endpointNames(routes).cart).toEqual(['anypod-cart-7d9f-0']);
    expect(problems).toEqual([{ object: 'EndpointSlice/anypod-cart-v6', action: 'ignored', message: 'addressType IPv6: only IPv4 is supported' }]);
  });
});

describe('translate: the Ingress the chart renders (ci/both-routes-values.yaml)', () => {
  const rendered = render({ valuesFiles: [join(REPO_ROOT, 'helm/anypod/ci/both-routes-values.yaml')] });
  const ingresses = ofKind(rendered, 'Ingress') as unknown as V1Ingress[];
  const renderedRoutes = ofKind(rendered, 'HTTPRoute') as unknown as HTTPRoute[];

  it('routes an Ingress alone the same way (Prefix paths, backend port by name)', () => {
    expect(ingresses).toHaveLength(1);
    const viaIngress = translate(state({ httpRoutes: [], ingresses }));
    expect(viaIngress.problems).toEqual([]);
    expect(viaIngress.routes).toEqual(translate(state()).routes);
  });

  it('merges an HTTPRoute and an Ingress for the same path and Service into one route', () => {
    const both = translate(state({ httpRoutes: renderedRoutes, ingresses }));
    expect(both.problems).toEqual([]);
    expect(both.routes).toEqual(translate(state()).routes);
  });

  it('refuses Exact and ImplementationSpecific paths and a default backend', () => {
    const ing = clone(ingresses[0]!);
    ing.spec!.rules![0]!.http!.paths[0]!.pathType = 'Exact';
    ing.spec!.rules![0]!.http!.paths[1]!.pathType = 'ImplementationSpecific';
    ing.spec!.defaultBackend = { service: { name: 'anypod-auth', port: { number: 3000 } } };
    const { routes, problems } = translate(state({ httpRoutes: [], ingresses: [ing] }));
    expect(routes.map((r) => r.service)).toEqual(['catalog']);
    expect(problems.map((p) => p.message)).toEqual([
      'defaultBackend not supported',
      'path /auth: pathType Exact not supported (only Prefix)',
      'path /cart: pathType ImplementationSpecific not supported (only Prefix)',
    ]);
  });
});
