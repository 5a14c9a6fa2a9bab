// The API objects the gateway needs, kept current by client-node's informers (list, then watch
// from that resourceVersion; a 410 Gone relists). One informer per kind, all in one namespace:
// HTTPRoutes, Ingresses, Services and EndpointSlices.
import { existsSync } from 'node:fs';
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  makeInformer,
  NetworkingV1Api,
  type Informer,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
  type V1EndpointSlice,
  type V1Ingress,
  type V1Service,
} from '@kubernetes/client-node';
import type { ClusterState, HTTPRoute } from './translate.ts';

export interface WatchOptions {
  /** a kubeconfig file, always explicit: never $KUBECONFIG, ~/.kube/config or localhost:8080 */
  kubeconfig: string;
  namespace: string;
  /** any watched object was added, changed or deleted (also on a relist) */
  onChange: () => void;
  /** a list or watch failed (it is retried), or works again after that */
  onLog?: (message: string) => void;
}

type Cached<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

interface Kind {
  name: string;
  informer: Cached<KubernetesObject>;
  synced: boolean;
  lastError?: Error;
}

/** A retry after a failed list/watch: not at once (the API server may be starting), not too late. */
const RETRY_MS = 1000;

/** Loads exactly the given file; refuses one that names no server. */
export function loadKubeConfig(path: string): KubeConfig {
  if (!path) throw new Error('a kubeconfig path is required (the gateway never falls back to a default one)');
  if (!existsSync(path)) throw new Error(`kubeconfig ${path} does not exist`);
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new Error(`kubeconfig ${path} has no current context with a cluster server`);
  return kc;
}

export class ClusterWatch {
  private readonly kinds: Kind[];
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: WatchOptions) {
    const kc = loadKubeConfig(opts.kubeconfig);
    const ns = encodeURIComponent(opts.namespace);
    const namespace = opts.namespace;
    const core = kc.makeApiClient(CoreV1Api);
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const networking = kc.makeApiClient(NetworkingV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const kind = <T extends KubernetesObject>(name: string, path: string, list: () => Promise<KubernetesListObject<T>>): Kind => ({
      name,
      informer: makeInformer<T>(kc, path, list) as unknown as Cached<KubernetesObject>,
      synced: false,
    });
    this.kinds = [
      kind<HTTPRoute & KubernetesObject>('httproutes.gateway.networking.k8s.io', `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes`, async () =>
        (await custom.listNamespacedCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', namespace, plural: 'httproutes' })) as KubernetesListObject<HTTPRoute & KubernetesObject>,
      ),
      kind<V1Ingress>('ingresses.networking.k8s.io', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, () => networking.listNamespacedIngress({ namespace })),
      kind<V1Service>('services', `/api/v1/namespaces/${ns}/services`, () => core.listNamespacedService({ namespace })),
      kind<V1EndpointSlice>('endpointslices.discovery.k8s.io', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, () => discovery.listNamespacedEndpointSlice({ namespace })),
    ];
    for (const k of this.kinds) {
      k.informer.on('change', () => opts.onChange());
      k.informer.on('error', (error: unknown) => this.failed(k, error));
    }
  }

  /** Starts every informer; resolves once each has listed (or rejects at the deadline, saying why). */
  async start(timeoutMs = 30_000): Promise<void> {
    await Promise.all(this.kinds.map((k) => this.startOne(k)));
    const deadline = Date.now() + timeoutMs;
    while (this.kinds.some((k) => !k.synced)) {
      if (this.stopped) throw new Error('stopped before the first list');
      if (Date.now() > deadline) {
        const missing = this.kinds.filter((k) => !k.synced).map((k) => `${k.name} (${k.lastError?.message ?? 'no answer'})`);
        throw new Error(`could not list ${missing.join(', ')} in namespace ${this.opts.namespace} within ${timeoutMs} ms${hint(missing.join(' '))}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async startOne(k: Kind): Promise<void> {
    if (this.stopped) return;
    const before = k.lastError;
    k.lastError = undefined;
    await k.informer.start();
    // start() resolves after the list and the watch request; an error on the way calls `failed`.
    if (!k.lastError) {
      k.synced = true;
      if (before) this.opts.onLog?.(`${k.name}: listed and watching again`);
    }
  }

  /** client-node's informer stops on any error but a 410 or a timeout: start it again, later. */
  private failed(k: Kind, error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    const status = (error as { statusCode?: number; code?: number }).statusCode ?? (error as { code?: number }).code;
    k.lastError = new Error(status ? `${status} ${err.message}` : err.message);
    if (this.stopped) return;
    this.opts.onLog?.(`${k.name}: ${k.lastError.message}; retrying in ${RETRY_MS} ms`);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.startOne(k).catch((e: unknown) => this.failed(k, e));
    }, RETRY_MS);
    this.timers.add(timer);
  }

  snapshot(): ClusterState {
    const [httpRoutes, ingresses, services, endpointSlices] = this.kinds.map((k) => k.informer.list(this.opts.namespace));
    return {
      namespace: this.opts.namespace,
      httpRoutes: (httpRoutes ?? []) as HTTPRoute[],
      ingresses: (ingresses ?? []) as V1Ingress[],
      services: (services ?? []) as V1Service[],
      endpointSlices: (endpointSlices ?? []) as V1EndpointSlice[],
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.kinds.map((k) => k.informer.stop()));
  }
}

function hint(text: string): string {
  if (/httproutes/.test(text) && /404/.test(text)) return ': are the Gateway API CRDs installed (bash tools/go/go-tools.sh crds)?';
  if (/ECONNREFUSED|fetch failed/.test(text)) return ': is the API server running?';
  return '';
}
