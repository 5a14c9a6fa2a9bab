// The gateway: the local cluster's two nginx tiers (tools/cluster/nginx.ts: an edge that is never
// reloaded, a router that is) fed by the real Kubernetes API instead of the local runner. Every
// change of the watched objects schedules a reload; the changes of one short window (a rollout
// touches several EndpointSlices at once) become one reload, and a change that leaves the routes
// as they are (a resourceVersion bump, a slice of another Service) reloads nothing.
import { Ingress } from '../../cluster/nginx.ts';
import type { RouteSpec } from '../../cluster/nginx-config.ts';
import { freePort } from '../../cluster/process-utils.ts';
import type { ClusterEvent, Routing } from '../../cluster/types.ts';
import { endpointNames, translate, type Problem } from './translate.ts';
import { ClusterWatch } from './watch.ts';

/** The local cluster's `ingress-reloaded` event, so the proof reads both the same way. */
export type GatewayReload = Extract<ClusterEvent, { type: 'ingress-reloaded' }>;

export interface KubeGatewayOptions {
  /** the kubeconfig file to use (required: never a default one) */
  kubeconfig: string;
  /** the namespace whose routes and endpoints are served (default anypod) */
  namespace?: string;
  /** the public port on 127.0.0.1 (0 or unset: a free one) */
  port?: number;
  /** where nginx's config, logs and temp files go (edge/ and router/ under it) */
  dir: string;
  /** round-robin per request (default), or sticky: by the Authorization header, as the local cluster's */
  routing?: Routing;
  /** how long after a change more changes are gathered into the same reload (default 100 ms) */
  coalesceMs?: number;
  /** after each reload that is live, and once after start (generation 0) */
  onReload?: (event: GatewayReload) => void;
  /** whenever the set of refused or partly ignored objects changes (an empty list: all clear) */
  onProblems?: (problems: Problem[]) => void;
  /** progress and retried errors */
  onLog?: (message: string) => void;
}

export class KubeGateway {
  private readonly namespace: string;
  private watch: ClusterWatch | undefined;
  private ingress: Ingress | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** the routes of the last reload asked for (to skip reloads that change nothing) */
  private requested = '';
  private currentProblems: Problem[] = [];
  private problemsKey = '[]';
  private stopped = false;
  /** nginx is up: changes from now on go to reloads */
  private live = false;

  constructor(private readonly opts: KubeGatewayOptions) {
    this.namespace = opts.namespace ?? 'anypod';
  }

  /** http://127.0.0.1:<port> (after start) */
  get url(): string {
    if (!this.ingress) throw new Error('the gateway is not started');
    return this.ingress.url;
  }

  /** The routes and endpoints nginx serves right now (as of the last reload that went live). */
  get applied(): RouteSpec[] {
    return this.ingress?.applied ?? [];
  }

  /** What is refused or ignored in the watched objects, as of the last translation. */
  get problems(): Problem[] {
    return this.currentProblems;
  }

  /** The nginx masters (edge, router). */
  get pids(): number[] {
    return this.ingress?.pids ?? [];
  }

  /** Lists everything, starts nginx with those routes, then follows changes. */
  async start(): Promise<void> {
    const started = Date.now();
    const log = this.opts.onLog ?? (() => {});
    this.watch = new ClusterWatch({ kubeconfig: this.opts.kubeconfig, namespace: this.namespace, onChange: () => this.changed(), onLog: log });
    try {
      await this.watch.start();
      log(`listed HTTPRoutes, Ingresses, Services and EndpointSlices in namespace ${this.namespace}`);
      const port = this.opts.port || (await freePort());
      this.ingress = new Ingress({
        dir: this.opts.dir,
        port,
        routing: this.opts.routing ?? 'round-robin',
        routes: () => this.translateNow(),
        onReload: ({ generation, routes, tookMs, atMs }) => this.opts.onReload?.({ type: 'ingress-reloaded', generation, endpoints: endpointNames(routes), tookMs, atMs }),
      });
      await this.ingress.start();
    } catch (error) {
      await this.stop();
      throw error;
    }
    this.live = true;
    // Anything that changed while nginx was starting (a no-op when nothing did).
    this.changed();
    this.opts.onReload?.({ type: 'ingress-reloaded', generation: 0, endpoints: endpointNames(this.ingress.applied), tookMs: Date.now() - started, atMs: Date.now() });
  }

  /** Stops watching, then nginx: the edge finishes what it is passing on, then the router quits. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      await this.watch?.stop();
    } finally {
      await this.ingress?.stop();
    }
  }

  /** For exit handlers: kills nginx at once, no waiting. */
  killNow(): void {
    this.ingress?.killNow();
  }

  /** A change: reload at the end of the window that starts now (later changes join it). */
  private changed(): void {
    if (this.stopped || !this.live || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.opts.coalesceMs ?? 100);
  }

  private flush(): void {
    if (this.stopped || !this.live || !this.ingress) return;
    const key = JSON.stringify(this.translate().routes);
    if (key === this.requested) return;
    // The router reads the routes again when its reload starts (translateNow), so changes made
    // while an earlier reload runs are in the next one.
    this.ingress.sync().catch((error: unknown) => {
      this.requested = '';
      this.opts.onLog?.(`reload failed: ${(error as Error).message}`);
    });
  }

  /** Called by the router when a reload starts: the routes it will serve. */
  private translateNow(): RouteSpec[] {
    const { routes } = this.translate();
    this.requested = JSON.stringify(routes);
    return routes;
  }

  private translate(): ReturnType<typeof translate> {
    if (!this.watch) throw new Error('the gateway is not started');
    const result = translate(this.watch.snapshot());
    const key = JSON.stringify(result.problems);
    if (key !== this.problemsKey) {
      this.problemsKey = key;
      this.currentProblems = result.problems;
      this.opts.onProblems?.(result.problems);
    }
    return result;
  }
}
