// The Ingress: two nginx masters (nginx-master.ts) running the configs of nginx-config.ts — an edge
// that holds the clients' connections and is never reloaded, and a router that is rewritten and
// reloaded on every endpoint change, one reload at a time (why: nginx-config.ts).
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GENERATION_PATH, renderEdgeConfig, renderRouterConfig, type RouteSpec } from './nginx-config.ts';
import { NginxMaster } from './nginx-master.ts';
import { childProcesses, freePort, holdsSocket, httpGet, listeningSockets, tail } from './process-utils.ts';
import type { Routing } from './types.ts';

export interface IngressOptions {
  /** nginx/ in the run dir: edge/ and router/ go under it */
  dir: string;
  /** the public port */
  port: number;
  routing: Routing;
  /** the current endpoints; read when a reload starts, so queued changes coalesce */
  routes: () => RouteSpec[];
  /** called after each reload is live */
  onReload?: (info: { generation: number; routes: RouteSpec[]; tookMs: number; atMs: number }) => void;
}

/** The two nginx masters behind one URL, and the serialized endpoint updates. */
export class Ingress {
  readonly url: string;
  readonly port: number;
  readonly edge: NginxMaster;
  readonly router: NginxMaster;
  private routerPort = 0;
  /** where the edge reaches the router (set by start) */
  private routerSocket: string | undefined;
  private generation = 0;
  private appliedRoutes: RouteSpec[] = [];
  /** the reload waiting to start (it will include every change made before it starts) */
  private queued: Promise<void> | null = null;
  /** the chain of reloads: each starts after the previous one finished */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: IngressOptions) {
    this.port = opts.port;
    this.url = `http://127.0.0.1:${opts.port}`;
    this.edge = new NginxMaster(join(opts.dir, 'edge'));
    this.router = new NginxMaster(join(opts.dir, 'router'));
  }

  /** pid of the edge master (the public one) */
  get pid(): number | undefined {
    return this.edge.pid;
  }

  get pids(): number[] {
    return [this.edge.pid, this.router.pid].filter((p): p is number => p !== undefined);
  }

  /** The endpoints nginx routes to right now (as of the last reload that went live). */
  get applied(): RouteSpec[] {
    return this.appliedRoutes;
  }

  get accessLog(): string {
    return join(this.router.dir, 'access.log');
  }

  async start(): Promise<void> {
    this.routerPort = await freePort();
    // The socket file is in the system temp dir, not the run dir: when nginx is started as root its
    // workers run as nobody, who may not traverse a private run dir (a test's mkdtemp is 0700).
    // nginx makes it writable by all (0666, like the loopback port) and removes it when it exits;
    // only a SIGKILLed router leaves it, under a name no later run uses.
    this.routerSocket = join(tmpdir(), `anypod-router-${randomBytes(6).toString('hex')}.sock`);
    const routes = this.opts.routes();
    await this.router.write(this.renderRouter(routes));
    this.router.start();
    await this.waitForGeneration(this.generation, 10_000);
    await this.edge.write(renderEdgeConfig({ dir: this.edge.dir, port: this.port, routerPort: this.routerPort, routerSocket: this.routerSocket }));
    this.edge.start();
    await this.waitForGeneration(this.generation, 10_000, this.url);
    this.appliedRoutes = routes;
  }

  private renderRouter(routes: RouteSpec[]): string {
    return renderRouterConfig({ dir: this.router.dir, port: this.routerPort, socket: this.routerSocket, routing: this.opts.routing, generation: this.generation, routes });
  }

  /**
   * Applies the current endpoints. Reloads are serialized; a call made while one is running
   * queues one more, and calls made while that one waits share it. Resolves when the router
   * answers with the new generation on a fresh connection.
   */
  sync(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.chain.then(() => {
      this.queued = null;
      return this.reloadNow();
    });
    this.queued = next;
    this.chain = next.catch(() => {});
    return next;
  }

  private async reloadNow(): Promise<void> {
    this.router.assertRunning();
    const started = Date.now();
    const routes = this.opts.routes();
    this.generation += 1;
    await this.router.write(this.renderRouter(routes));
    const previous = childProcesses(this.router.pid as number);
    const listening = listeningSockets(this.routerPort);
    this.router.reload();
    await this.waitForGeneration(this.generation, 10_000);
    await this.waitUntilNotAccepting(previous, listening, 10_000);
    this.appliedRoutes = routes;
    this.opts.onReload?.({ generation: this.generation, routes, tookMs: Date.now() - started, atMs: Date.now() });
  }

  /**
   * Until none of the `previous` workers accepts connections any more. The new generation
   * answering is not enough: an old worker goes on accepting until it has handled the master's
   * shutdown signal, and routing those requests with the old endpoints (measured: a replica taken
   * out still got requests for 65 ms under load). It closes its listening socket first thing when
   * it shuts down gracefully, then finishes what it holds; only the first part is waited for.
   */
  private async waitUntilNotAccepting(previous: number[], listening: Set<string>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const accepting = previous.filter((pid) => holdsSocket(pid, listening));
      if (accepting.length === 0) return;
      if (Date.now() > deadline) throw new Error(`nginx's previous router workers (${accepting.join(', ')}) still accept connections ${timeoutMs} ms after a reload; ${this.router.errorLog}:\n${tail(this.router.errorLog)}`);
      await sleep(10);
    }
  }

  private async waitForGeneration(generation: number, timeoutMs: number, base = `http://127.0.0.1:${this.routerPort}`): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      this.router.assertRunning();
      try {
        const res = await httpGet(`${base}${GENERATION_PATH}`, 1000);
        if (res.status === 200 && res.body === String(generation)) return;
        last = `answered ${res.status} ${res.body}`;
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(20);
    }
    throw new Error(`nginx did not serve config generation ${generation} at ${base} within ${timeoutMs} ms (${last}); ${this.router.errorLog}:\n${tail(this.router.errorLog)}\n${this.edge.errorLog}:\n${tail(this.edge.errorLog)}`);
  }

  /** Edge first (it finishes what it is passing on), then the router. */
  async stop(): Promise<void> {
    await this.chain;
    try {
      await this.edge.stop();
    } finally {
      await this.router.stop();
      if (this.routerSocket) rmSync(this.routerSocket, { force: true });
    }
  }

  /** For exit handlers: synchronous, no waiting. */
  killNow(): void {
    this.edge.killNow();
    this.router.killNow();
    if (this.routerSocket) rmSync(this.routerSocket, { force: true });
  }
}
