// The controller: a ReplicaSet per service (keep N replicas, replace any that is deleted or
// dies), the kubelet's readiness probe, and the endpoint controller in front of the Ingress (a
// replica is routed to only while its readiness probe passes, and taken out when it is deleted).
// Everything it starts is a child of this process and dies with it.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LOCAL_DATABASE_URL as DEFAULT_DATABASE_URL, LOCAL_REDIS_URL as DEFAULT_REDIS_URL } from '@anypod/platform/local-infra';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RouteSpec } from './nginx-config.ts';
import { NGINX_BIN } from './nginx-master.ts';
import { Ingress } from './nginx.ts';
import { migrateServices, checkServices } from './prepare.ts';
import { freePort } from './process-utils.ts';
import type { ServiceRuntime } from '@anypod/platform/service-command';
import { newReplicaName, Replica, type ReplicaExit } from './replica.ts';
import { generateSecrets, type ClusterSecrets } from './secrets.ts';
import { replicaEnv, DEFAULT_INGRESS_PORT } from './local-env.ts';
import { loadManifests, type ClusterManifests } from './manifests.ts';
import { serviceDir } from './paths.ts';
import { ClusterTargets, replicaTargets, startLocalObservability, type LocalObservability } from './observability.ts';
import { LOCAL_KILLS, type Cluster, type ClusterEvent, type ClusterObservability, type ClusterOptions, type KillType, type ObservabilitySettings, type ReplicaInfo, type Routing, type ServiceName } from './types.ts';

/** The local infra's defaults (tools/infra/common.sh); DATABASE_URL / REDIS_URL override them. */
export { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL };
export const DEFAULT_RUN_DIR = '/tmp/anypod/cluster';

interface Member {
  replica: Replica;
  /** passed its first readiness probe */
  ready: boolean;
  /** since then failed failureThreshold probes in a row, and not passed successThreshold since */
  unready: boolean;
  /** wanted in the upstream: ready, not unready, and not deleted (or its removal lag has passed) */
  endpoint: boolean;
  terminating: boolean;
  deleting?: KillType;
}

interface Settings {
  runDir: string;
  /** each service's settings from k8s/ */
  manifests: ClusterManifests;
  replicas: Map<ServiceName, number>;
  ingressPort: number;
  secrets: ClusterSecrets;
  env: Record<string, string>;
  envFor?: ClusterOptions['envFor'];
  /** STATE_STORE for every replica; undefined: the manifest's */
  stateStore?: 'shared' | 'memory';
  routing: Routing;
  readyTimeoutMs: number;
  endpointLagMs: number;
  hangMs: number;
  runtimes: Map<ServiceName, ServiceRuntime>;
  observability?: ObservabilitySettings;
  onEvent?: (event: ClusterEvent) => void;
}

// Processes of every live cluster in this process, killed synchronously if the process exits
// (a failed test, an uncaught exception) before stop() ran.
const live = new Set<LocalCluster>();
let exitHandlersInstalled = false;
let signalClusters = 0;

function killAllNow(): void {
  for (const cluster of live) cluster.killNow();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  // Only ours is listening: behave as if we had not been there (the default action: exit).
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function track(cluster: LocalCluster, handleSignals: boolean): void {
  live.add(cluster);
  if (!exitHandlersInstalled) {
    process.on('exit', killAllNow);
    exitHandlersInstalled = true;
  }
  if (handleSignals && signalClusters++ === 0) for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
}

function untrack(cluster: LocalCluster, handleSignals: boolean): void {
  live.delete(cluster);
  if (handleSignals && --signalClusters === 0) for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(s, onSignal);
}

class LocalCluster implements Cluster {
  readonly ingressUrl: string;
  readonly runDir: string;
  private readonly members = new Map<ServiceName, Member[]>();
  private readonly names = new Set<string>();
  /**
   * Every port handed to a replica in this cluster's life. A deleted replica's address stays in
   * the upstream for the endpoint lag; if the kernel handed that port to a new replica of another
   * service, the Ingress would route cart requests to catalog (seen in a stress run: 404s). Pod
   * IPs are not reused that fast either.
   */
  private readonly ports = new Set<number>();
  private readonly nginx: Ingress;
  private readonly crashes = new Map<ServiceName, number>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();
  private stopping: Promise<void> | null = null;
  /** Jaeger and Prometheus, when the cluster runs with them; `ownsStack`: started (and stopped) by this cluster */
  private stack?: LocalObservability;
  private ownsStack = false;
  private targets?: ClusterTargets;

  constructor(
    private readonly settings: Settings,
    private readonly handleSignals: boolean,
  ) {
    this.runDir = settings.runDir;
    this.ingressUrl = `http://127.0.0.1:${settings.ingressPort}`;
    for (const service of settings.replicas.keys()) this.members.set(service, []);
    this.nginx = new Ingress({
      dir: join(settings.runDir, 'nginx'),
      port: settings.ingressPort,
      routing: settings.routing,
      routes: () => this.routes(),
      onReload: ({ generation, routes, tookMs, atMs }) =>
        this.emit({ type: 'ingress-reloaded', generation, endpoints: Object.fromEntries(routes.map((r) => [r.service, r.servers.map((s) => s.name)])), tookMs, atMs }),
    });
  }

  get ingress(): Cluster['ingress'] {
    return { pids: this.nginx.pids, accessLog: this.nginx.accessLog, configDir: join(this.runDir, 'nginx') };
  }

  get observability(): ClusterObservability | undefined {
    const { stack, targets } = this;
    if (!stack || !targets) return undefined;
    return { prometheusUrl: stack.prometheusUrl, jaegerUrl: stack.jaegerUrl, otlpUrl: stack.otlpUrl, pids: stack.pids, targetsFile: targets.file };
  }

  async start(): Promise<void> {
    // Every service's environment once before anything starts: what k8s/ asks for that the local
    // cluster cannot provide is one clear error now, not a replica failing later.
    for (const service of this.settings.replicas.keys()) this.replicaEnv(service, `${service}-check`, 1);
    track(this, this.handleSignals);
    try {
      await this.startObservability();
      await this.nginx.start();
      const starting: Promise<void>[] = [];
      for (const [service, count] of this.settings.replicas) {
        for (let i = 0; i < count; i++) starting.push(this.spawn(service).then((m) => this.whenReady(m, true)));
      }
      await Promise.all(starting);
      await this.waitForFullStrength(this.settings.readyTimeoutMs);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Before any replica: each one's first spans and first scrape find the stack there. */
  private async startObservability(): Promise<void> {
    const settings = this.settings.observability;
    if (!settings) return;
    if (settings.stack) this.stack = settings.stack;
    else {
      this.ownsStack = true;
      this.stack = await startLocalObservability(join(this.runDir, 'observability'), settings);
    }
    // One targets file per cluster: clusters sharing a stack (the proof's runs) never overwrite each other's.
    this.targets = new ClusterTargets(this.stack.targetsDir, `${basename(this.runDir)}-${randomBytes(3).toString('hex')}`);
    this.syncTargets();
  }

  /**
   * Prometheus's file_sd list: every replica whose process is alive, from its start until its exit
   * (as kubernetes_sd lists a pod until it is gone, terminating ones included).
   */
  private syncTargets(): void {
    if (!this.targets) return;
    const live = [...this.members.values()].flat().filter((m) => m.replica.exit === null).map((m) => m.replica);
    this.targets.write(replicaTargets(live, (service) => this.settings.manifests.service(service).namespace));
  }

  private emit(event: ClusterEvent): void {
    try {
      appendFileSync(join(this.runDir, 'events.jsonl'), `${JSON.stringify(event)}\n`);
    } catch {
      // the run dir is gone (a test cleaned it up): events still reach onEvent
    }
    this.settings.onEvent?.(event);
  }

  private routes(): RouteSpec[] {
    return [...this.members].map(([service, members]) => ({
      service,
      prefix: this.settings.manifests.service(service).prefix,
      servers: members.filter((m) => m.endpoint).map((m) => ({ name: m.replica.name, port: m.replica.port })),
    }));
  }

  private syncIngress(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return this.nginx.sync();
  }

  /**
   * The manifest's env with the local differences (local-env.ts), the run's own variables (then
   * `own`, the replica's own: envFor) and the replica's identity.
   */
  private replicaEnv(service: ServiceName, name: string, port: number, own: Record<string, string> = {}): Record<string, string> {
    const s = this.settings;
    const run = { ...s.env, ...(s.stateStore ? { STATE_STORE: s.env.STATE_STORE ?? s.stateStore } : {}), ...own };
    const ctx = {
      replica: name,
      port,
      ingressUrl: this.ingressUrl,
      databaseUrl: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
      redisUrl: process.env.REDIS_URL ?? DEFAULT_REDIS_URL,
      secrets: s.secrets,
      runner: process.env,
      otlpUrl: this.stack?.otlpUrl,
    };
    return replicaEnv(s.manifests.service(service), ctx, run, s.manifests.serviceNames);
  }

  private async spawn(service: ServiceName): Promise<Member> {
    const name = newReplicaName(service, this.names);
    this.names.add(name);
    let port = await freePort();
    while (this.ports.has(port)) port = await freePort();
    this.ports.add(port);
    const runtime = this.settings.runtimes.get(service) as ServiceRuntime;
    const replica = Replica.start({ service, name, port, cwd: serviceDir(service), runtime, env: this.replicaEnv(service, name, port, this.settings.envFor?.({ service, name })), readinessPath: this.settings.manifests.service(service).probes.readiness, logFile: join(this.runDir, 'logs', `${name}.log`) });
    const member: Member = { replica, ready: false, unready: false, endpoint: false, terminating: false };
    (this.members.get(service) as Member[]).push(member);
    this.syncTargets();
    this.emit({ type: 'replica-started', service, replica: name, port, pid: replica.pid, atMs: replica.startedAtMs });
    void replica.exited.then((exit) => this.onExit(member, exit));
    return member;
  }

  /**
   * Readiness gate: in the upstream once /readyz passes, then probed every period (watchReadiness).
   * `strict` (initial start) rethrows a failure; otherwise a replica that never gets ready is
   * killed and replaced like a crash.
   */
  private async whenReady(member: Member, strict: boolean): Promise<void> {
    const { replica } = member;
    try {
      await replica.waitUntilReady({ timeoutMs: this.settings.readyTimeoutMs, signal: this.abort.signal });
    } catch (error) {
      if (this.stopping || member.terminating) return;
      replica.signal('SIGKILL');
      if (strict) throw error;
      return;
    }
    if (this.stopping || member.terminating) return;
    member.ready = true;
    member.endpoint = true;
    this.crashes.set(replica.service, 0);
    this.emit({ type: 'replica-ready', service: replica.service, replica: replica.name, port: replica.port, atMs: Date.now() });
    this.background(this.watchReadiness(member));
    await this.syncIngress();
  }

  /** Still the kubelet's to probe: not deleted, crashed or exited, and the cluster not stopping. */
  private probed(member: Member): boolean {
    return !this.stopping && !member.terminating && member.replica.exit === null;
  }

  /**
   * The kubelet's readiness probe after the first success, with the manifest's timing: a probe
   * every periodSeconds (start to start), each failing after timeoutSeconds; failureThreshold
   * failures in a row take the replica out of the endpoints (it keeps running: readiness never
   * restarts anything), successThreshold successes in a row put it back. It ends when the
   * replica is deleted, dies or the cluster stops: a terminating replica's endpoint belongs to
   * the deletion, and is never put back from here.
   */
  private async watchReadiness(member: Member): Promise<void> {
    const { replica } = member;
    const timing = this.settings.manifests.service(replica.service).readinessTiming;
    const periodMs = timing.periodSeconds * 1000;
    let failures = 0;
    let successes = 0;
    for (let startedAt = Date.now(); ; ) {
      await sleep(Math.max(0, startedAt + periodMs - Date.now()), undefined, { signal: this.abort.signal });
      startedAt = Date.now();
      if (!this.probed(member)) return;
      const probe = await replica.probeReadiness(timing.timeoutSeconds * 1000);
      if (!this.probed(member)) return;
      failures = probe.ok ? 0 : failures + 1;
      successes = probe.ok ? successes + 1 : 0;
      const { service, name, port } = replica;
      if (!member.unready && failures >= timing.failureThreshold) {
        member.unready = true;
        member.endpoint = false;
        this.emit({ type: 'replica-unready', service, replica: name, port, failures, reason: probe.detail, atMs: Date.now() });
        await this.syncIngress();
      } else if (member.unready && successes >= timing.successThreshold) {
        member.unready = false;
        member.endpoint = true;
        this.emit({ type: 'replica-ready', service, replica: name, port, again: true, atMs: Date.now() });
        await this.syncIngress();
      }
    }
  }

  private background<T>(promise: Promise<T>): void {
    const tracked = promise.catch((error: Error) => {
      if (!this.stopping) process.stderr.write(`cluster: ${error.message}\n`);
    });
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  private remove(member: Member): void {
    const list = this.members.get(member.replica.service) as Member[];
    const i = list.indexOf(member);
    if (i >= 0) list.splice(i, 1);
  }

  /** Starts a replacement now (or after a crash-loop back-off) and gates it on readiness. */
  private async replace(old: Member, delayMs: number): Promise<string> {
    if (delayMs > 0) await sleep(delayMs, undefined, { signal: this.abort.signal });
    const member = await this.spawn(old.replica.service);
    this.emit({ type: 'replica-replaced', service: old.replica.service, replica: old.replica.name, replacement: member.replica.name, atMs: Date.now() });
    this.background(this.whenReady(member, false));
    return member.replica.name;
  }

  private onExit(member: Member, exit: ReplicaExit): void {
    const { replica } = member;
    this.syncTargets();
    this.emit({ type: 'replica-exited', service: replica.service, replica: replica.name, code: exit.code, signal: exit.signal, atMs: exit.atMs });
    if (this.stopping || member.deleting) return;
    // A crash: nobody asked for it. Replace it (with a back-off when replicas keep dying before
    // they get ready, like CrashLoopBackOff) and take its endpoint out after the usual lag.
    member.terminating = true;
    const crashes = member.ready ? 0 : (this.crashes.get(replica.service) ?? 0) + 1;
    this.crashes.set(replica.service, crashes);
    const backoff = crashes === 0 ? 0 : Math.min(30_000, 1000 * 2 ** (crashes - 1));
    this.background(this.replace(member, backoff));
    this.background(
      sleep(member.endpoint ? this.settings.endpointLagMs : 0, undefined, { signal: this.abort.signal }).then(async () => {
        member.endpoint = false;
        await this.syncIngress();
        this.remove(member);
      }),
    );
  }

  replicas(service?: ServiceName): ReplicaInfo[] {
    const applied = new Set(this.nginx.applied.flatMap((r) => r.servers.map((s) => s.name)));
    const out: ReplicaInfo[] = [];
    for (const [name, members] of this.members) {
      if (service && name !== service) continue;
      for (const m of members) {
        out.push({
          service: name,
          name: m.replica.name,
          port: m.replica.port,
          pid: m.replica.pid,
          inRotation: applied.has(m.replica.name),
          phase: m.terminating ? 'terminating' : m.unready ? 'unready' : m.ready ? 'ready' : 'starting',
          logFile: m.replica.logFile,
        });
      }
    }
    return out;
  }

  async deleteReplica(name: string, kill: KillType): Promise<{ replacement: string }> {
    if (this.stopping) throw new Error('the cluster is stopping');
    if (!LOCAL_KILLS.includes(kill)) throw new Error(`a local cluster deletes replicas ${LOCAL_KILLS.join(', ')}; '${kill}' is a Kubernetes deletion (tools/kube)`);
    const member = [...this.members.values()].flat().find((m) => m.replica.name === name);
    if (!member) throw new Error(`no replica named ${name}; replicas: ${this.replicas().map((r) => r.name).join(', ')}`);
    if (member.terminating) throw new Error(`${name} is already terminating`);
    const { replica } = member;
    const manifest = this.settings.manifests.service(replica.service);
    member.terminating = true;
    member.deleting = kill;
    this.emit({ type: 'replica-deleting', service: replica.service, replica: name, kill, atMs: Date.now() });
    if (kill === 'hang') {
      // Hung, yet still in rotation (as in Kubernetes until its readiness probe fails): requests
      // keep arriving and wait. Then it comes back and works through them, long after their
      // clients gave up and retried elsewhere — and is deleted.
      replica.signal('SIGSTOP');
      await sleep(this.settings.hangMs);
      replica.signal('SIGCONT');
    }
    const startedAt = Date.now();
    // The ReplicaSet sees one replica fewer than desired and creates the replacement at once.
    const replacement = this.replace(member, 0);
    let removal: Promise<void>;
    if (kill === 'graceful' || kill === 'hang') {
      // Endpoint removal and the pre-stop sleep start at the same moment (they are not ordered
      // in Kubernetes either); SIGTERM after the sleep; SIGKILL at the end of the grace period,
      // which counts from the deletion, pre-stop included.
      member.endpoint = false;
      removal = this.syncIngress();
      // The pre-stop sleep exists to outlast the endpoint removal (reliability.md). nginx reloads
      // in milliseconds, unless this machine is overloaded: then SIGTERM waits for the removal
      // too, as a pre-stop sized for the cluster would — a slow test machine must not turn a
      // graceful delete into one that drops requests.
      await Promise.race([Promise.all([sleep(manifest.preStopSeconds * 1000), removal]), replica.exited]);
      await replica.terminate(startedAt + manifest.terminationGracePeriodSeconds * 1000);
    } else {
      replica.signal('SIGKILL');
      // The endpoint controller only notices a moment later: until then nginx still picks it,
      // gets a refused connection and (for any method, nothing was sent) tries the next one.
      removal = sleep(member.endpoint ? this.settings.endpointLagMs : 0).then(() => {
        member.endpoint = false;
        return this.syncIngress();
      });
      await replica.exited;
    }
    await removal;
    this.remove(member);
    return { replacement: await replacement };
  }

  async waitForFullStrength(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = this.strengthProblems();
      if (missing.length === 0) return;
      if (this.stopping) throw new Error('the cluster is stopping');
      if (Date.now() > deadline) throw new Error(`not at full strength after ${timeoutMs} ms: ${missing.join('; ')}`);
      await sleep(50);
    }
  }

  /** What keeps the cluster from full strength (empty when every upstream is exactly right). */
  private strengthProblems(): string[] {
    const problems: string[] = [];
    const applied = new Map(this.nginx.applied.map((r) => [r.service, new Set(r.servers.map((s) => s.name))]));
    for (const [service, want] of this.settings.replicas) {
      const members = this.members.get(service) as Member[];
      const ready = members.filter((m) => m.ready && !m.unready && !m.terminating).map((m) => m.replica.name);
      const routed = applied.get(service) ?? new Set<string>();
      if (ready.length !== want || routed.size !== want || !ready.every((n) => routed.has(n))) {
        problems.push(`${service}: ${ready.length}/${want} ready, in rotation: ${[...routed].join(', ') || 'none'}`);
      }
    }
    return problems;
  }

  /**
   * Stops everything: nginx quits first (finishing what it is proxying), then every replica gets
   * SIGTERM and, at the end of its grace period, SIGKILL.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      try {
        await this.nginx.stop();
      } finally {
        const members = [...this.members.values()].flat();
        await Promise.all(
          members.map((m) => {
            const grace = this.settings.manifests.service(m.replica.service).terminationGracePeriodSeconds;
            return m.replica.terminate(Date.now() + grace * 1000);
          }),
        );
        await Promise.allSettled([...this.pending]);
        // Last: the replicas flushed their spans on SIGTERM, to a Jaeger that was still there.
        this.targets?.remove();
        if (this.ownsStack) await this.stack?.stop();
        untrack(this, this.handleSignals);
      }
    })();
    return this.stopping;
  }

  /** Synchronous last resort for exit handlers. */
  killNow(): void {
    this.nginx.killNow();
    for (const m of [...this.members.values()].flat()) m.replica.signal('SIGKILL');
    if (this.ownsStack) this.stack?.killNow();
  }
}

/**
 * Starts the local cluster: migrations, nginx as the Ingress, then N replicas per service, each
 * added to the upstream when ready. Resolves at full strength; on failure stops what it started
 * and rejects with the reason (a replica's log tail, nginx's error log).
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const manifests = loadManifests(options.manifestsDir);
  const services = options.services ?? manifests.services.map((s) => s.name);
  for (const service of services) manifests.service(service);
  const runtimes = new Map(services.map((service): [ServiceName, ServiceRuntime] => {
    const entry = options.entries?.[service];
    return [service, entry ? { kind: 'source', entry } : options.watch ? { kind: 'watch' } : { kind: 'build' }];
  }));
  checkServices(services, runtimes);
  const runDir = options.runDir ?? DEFAULT_RUN_DIR;
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  if (!existsSync(NGINX_BIN)) throw new Error(`nginx is not installed at ${NGINX_BIN}: \`apt-get install -y nginx\` (make prepare does it) or set NGINX_BIN`);
  if (options.migrate !== false) {
    await migrateServices(services, { databaseUrl: options.env?.DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL });
  }
  const ingressPort = options.ingressPort === 0 ? await freePort() : (options.ingressPort ?? DEFAULT_INGRESS_PORT);
  const cluster = new LocalCluster(
    {
      runDir,
      manifests,
      replicas: new Map(services.map((s) => [s, options.replicas ?? manifests.service(s).replicas])),
      ingressPort,
      secrets: generateSecrets(),
      env: options.env ?? {},
      envFor: options.envFor,
      stateStore: options.stateStore,
      routing: options.routing ?? 'round-robin',
      readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
      endpointLagMs: options.endpointLagMs ?? 1000,
      hangMs: options.hangMs ?? 6000,
      runtimes,
      observability: options.observability,
      onEvent: options.onEvent,
    },
    options.handleSignals ?? true,
  );
  await cluster.start();
  return cluster;
}
