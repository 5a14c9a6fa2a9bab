// The proof's Cluster (tools/cluster/types.ts) on a real Kubernetes: the chart's release as
// quickstart/deploy.sh installed it, pods watched through the API, requests through the project's
// gateway (tools/kube/gateway: nginx fed by HTTPRoutes and EndpointSlices), and deletions made the
// way users make them — `kubectl delete pod`, gracefully or with --grace-period=0 --force. The
// ReplicaSet controller, the EndpointSlice controller, the chart's probes, pre-stop and grace
// period do the rest; nothing here imitates them.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, makeInformer, type KubeConfig, type Informer, type ObjectCache, type V1Pod } from '@kubernetes/client-node';
import { SERVICE_NAMES, REPO_ROOT } from '../../cluster/paths.ts';
import type { Cluster, ClusterEvent, ClusterOptions, KillType, ReplicaInfo, ServiceName, StateStore } from '../../cluster/types.ts';
import { KubeGateway } from '../gateway/gateway.ts';
import { loadKubeConfig } from '../gateway/watch.ts';
import { helm, kubectl, kubeEnv } from './kube-env.ts';

export const DEFAULT_NAMESPACE = 'anypod';
export const DEFAULT_RELEASE = 'anypod';
export const CHART_DIR = join(REPO_ROOT, 'helm/anypod');
/** The services' container port (the chart's, and every Service's targetPort). */
const SERVICE_PORT = 3000;

export interface KubeClusterOptions extends ClusterOptions {
  kubeconfig?: string;
  namespace?: string;
  release?: string;
  log?: (line: string) => void;
}

type PodPhase = ReplicaInfo['phase'];

const componentOf = (pod: V1Pod): string | undefined => pod.metadata?.labels?.['app.kubernetes.io/component'];
const serviceOf = (pod: V1Pod): ServiceName | undefined => {
  const component = componentOf(pod);
  return (SERVICE_NAMES as readonly string[]).includes(component ?? '') ? (component as ServiceName) : undefined;
};
const isReady = (pod: V1Pod): boolean => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const phaseOf = (pod: V1Pod): PodPhase => (pod.metadata?.deletionTimestamp ? 'terminating' : isReady(pod) ? 'ready' : 'starting');
const finished = (pod: V1Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/**
 * Connects to the release (it must be installed: make kube-deploy), makes it run the state store
 * the run asks for (helm upgrade when it differs), checks the rest of what the run asks for is
 * what the release runs, and starts the gateway in front of it.
 */
export async function startKubeCluster(options: KubeClusterOptions): Promise<KubeCluster> {
  const kubeconfig = options.kubeconfig ?? kubeEnv().KUBECONFIG;
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const release = options.release ?? DEFAULT_RELEASE;
  const log = options.log ?? (() => undefined);
  if (options.routing && options.routing !== 'round-robin') {
    throw new Error(`routing '${options.routing}' is not available on Kubernetes here: the gateway balances per request (round-robin); the sticky contrast runs on the local cluster`);
  }
  if (options.entries && Object.keys(options.entries).length > 0) throw new Error('replacement entry files (the mutation tests) exist only on the local cluster');
  if (options.watch) throw new Error('watch mode exists only on the local cluster');
  const target = { kubeconfig, namespace, release };
  if (options.stateStore) await ensureStateStore(target, options.stateStore, log);
  await checkDeployments(target, options);
  const cluster = new KubeCluster(target, options);
  try {
    await cluster.start();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

export interface Target {
  kubeconfig: string;
  namespace: string;
  release: string;
}

/** helm upgrade --reuse-values with config.stateStore, when the release runs another one. */
export async function ensureStateStore(target: Target, wanted: StateStore, log: (line: string) => void): Promise<void> {
  const { stdout } = await helm(['get', 'values', target.release, '--namespace', target.namespace, '--all', '--output', 'json'], { kubeconfig: target.kubeconfig });
  const current = (JSON.parse(stdout) as { config?: { stateStore?: string } }).config?.stateStore ?? 'shared';
  if (current === wanted) return;
  log(`release ${target.release} runs STATE_STORE=${current}; helm upgrade to ${wanted} ...`);
  const started = Date.now();
  await helm(['upgrade', target.release, CHART_DIR, '--namespace', target.namespace, '--reuse-values', '--set', `config.stateStore=${wanted}`, '--wait', '--timeout', '10m'], { kubeconfig: target.kubeconfig });
  await kubectl(['rollout', 'status', 'deployment', '--namespace', target.namespace, '--selector', `app.kubernetes.io/instance=${target.release}`, '--timeout', '10m'], { kubeconfig: target.kubeconfig });
  log(`release ${target.release} runs STATE_STORE=${wanted} (upgraded in ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

interface DeploymentView {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { replicas?: number; template: { spec: { containers: Array<{ name: string; env?: Array<{ name: string; value?: string }> }> } } };
}

/** Replica counts and environment the run asks for must be what the release runs: never assumed. */
async function checkDeployments(target: Target, options: ClusterOptions): Promise<void> {
  const { stdout } = await kubectl(['get', 'deployments', '--namespace', target.namespace, '--selector', `app.kubernetes.io/instance=${target.release}`, '--output', 'json'], { kubeconfig: target.kubeconfig });
  const deployments = (JSON.parse(stdout) as { items: DeploymentView[] }).items;
  const problems: string[] = [];
  for (const service of options.services ?? SERVICE_NAMES) {
    const deployment = deployments.find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === service);
    if (!deployment) {
      problems.push(`no Deployment for ${service} in release ${target.release} (namespace ${target.namespace}): make kube-deploy`);
      continue;
    }
    if (options.replicas !== undefined && deployment.spec.replicas !== options.replicas) {
      problems.push(`${deployment.metadata.name} has ${deployment.spec.replicas} replicas, the run wants ${options.replicas}`);
    }
    const container = deployment.spec.template.spec.containers.find((c) => c.name === service) ?? deployment.spec.template.spec.containers[0];
    const env = new Map((container?.env ?? []).map((e) => [e.name, e.value]));
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (env.get(name) !== value) problems.push(`${deployment.metadata.name} runs ${name}=${env.get(name) ?? '(unset)'}, the run needs ${value} (deploy with --values tools/kube/proof-values.yaml)`);
    }
  }
  if (problems.length > 0) throw new Error(`the release is not what the run needs:\n  ${problems.join('\n  ')}`);
}

interface Deletion {
  service: ServiceName;
  /** pod names of the service when the delete began: the replacement is the first one not among them */
  before: Set<string>;
  gone: () => void;
}

export class KubeCluster implements Cluster {
  readonly runDir: string;
  private readonly api: CoreV1Api;
  private readonly config: KubeConfig;
  private informer: (Informer<V1Pod> & ObjectCache<V1Pod>) | undefined;
  private gateway: KubeGateway | undefined;
  private stopped = false;
  private readonly wantedReplicas: number | undefined;
  private readonly deletions = new Map<string, Deletion>();
  private readonly newPodWaiters = new Set<() => void>();
  private readonly known = new Map<string, PodPhase>();
  private readonly emitEvent: (event: ClusterEvent) => void;
  /** the gateway's public port (0: a free one) */
  private readonly ingressPort: number;

  constructor(
    readonly target: Target,
    options: KubeClusterOptions,
  ) {
    this.runDir = options.runDir ?? join(kubeEnv().RUN_DIR, 'proof');
    this.wantedReplicas = options.replicas;
    this.emitEvent = options.onEvent ?? (() => undefined);
    this.config = loadKubeConfig(target.kubeconfig);
    this.api = this.config.makeApiClient(CoreV1Api);
    this.ingressPort = options.ingressPort ?? 0;
  }

  private get gatewayDir(): string {
    return join(this.runDir, 'gateway');
  }

  get ingressUrl(): string {
    if (!this.gateway) throw new Error('the cluster is not started');
    return this.gateway.url;
  }

  get ingress(): Cluster['ingress'] {
    if (!this.gateway) throw new Error('the cluster is not started');
    // The gateway's nginx tiers (tools/cluster/nginx.ts): the router's JSON access log.
    return { pids: this.gateway.pids, accessLog: join(this.gatewayDir, 'router', 'access.log'), configDir: this.gatewayDir };
  }

  async start(): Promise<void> {
    const { namespace, release } = this.target;
    const selector = `app.kubernetes.io/instance=${release}`;
    const informer = makeInformer<V1Pod>(this.config, `/api/v1/namespaces/${namespace}/pods`, () => this.api.listNamespacedPod({ namespace, labelSelector: selector }), selector);
    this.informer = informer;
    informer.on('add', (pod) => this.onPod(pod));
    informer.on('update', (pod) => this.onPod(pod));
    informer.on('delete', (pod) => this.onPodGone(pod));
    // A watch that breaks (API restart, timeout) is started again: the informer relists.
    informer.on('error', () => {
      if (!this.stopped) setTimeout(() => void informer.start().catch(() => undefined), 1_000);
    });
    await informer.start();
    this.gateway = new KubeGateway({
      kubeconfig: this.target.kubeconfig,
      namespace,
      dir: this.gatewayDir,
      port: this.ingressPort,
      onReload: (event) => this.emitEvent(event),
    });
    await this.gateway.start();
  }

  private onPod(pod: V1Pod): void {
    const name = pod.metadata?.name;
    const service = serviceOf(pod);
    if (!name || !service || finished(pod)) return;
    const phase = phaseOf(pod);
    const previous = this.known.get(name);
    this.known.set(name, phase);
    const atMs = Date.now();
    if (previous === undefined) {
      this.emitEvent({ type: 'replica-started', service, replica: name, port: SERVICE_PORT, pid: 0, atMs });
      for (const wake of this.newPodWaiters) wake();
    }
    if (phase === 'ready' && previous !== 'ready') this.emitEvent({ type: 'replica-ready', service, replica: name, port: SERVICE_PORT, atMs });
  }

  private onPodGone(pod: V1Pod): void {
    const name = pod.metadata?.name;
    const service = serviceOf(pod);
    if (!name) return;
    this.known.delete(name);
    if (service) this.emitEvent({ type: 'replica-exited', service, replica: name, code: null, signal: null, atMs: Date.now() });
    this.deletions.get(name)?.gone();
  }

  private pods(): V1Pod[] {
    return (this.informer?.list() ?? []).filter((pod) => !finished(pod));
  }

  /** Pods of one component (a service, postgres, valkey) by label, as the API holds them now. */
  podsOf(component: string): V1Pod[] {
    return this.pods().filter((pod) => componentOf(pod) === component);
  }

  replicas(service?: ServiceName): ReplicaInfo[] {
    const inRotation = new Set((this.gateway?.applied ?? []).flatMap((route) => route.servers.map((s) => s.name)));
    return this.pods()
      .filter((pod) => serviceOf(pod) !== undefined && (service === undefined || serviceOf(pod) === service))
      .map((pod) => ({
        service: serviceOf(pod) as ServiceName,
        name: pod.metadata?.name ?? '',
        port: SERVICE_PORT,
        pid: 0,
        inRotation: inRotation.has(pod.metadata?.name ?? ''),
        phase: phaseOf(pod),
        logFile: '',
      }));
  }

  /**
   * `kubectl delete pod` (graceful: the pod's own grace period, pre-stop first) or with
   * `--grace-period=0 --force` (force). Resolves once the pod is gone from the API and the
   * ReplicaSet's replacement exists; the replacement joins the rotation when the gateway routes to it.
   */
  async deleteReplica(name: string, kill: KillType): Promise<{ replacement: string }> {
    if (kill !== 'graceful' && kill !== 'force') throw new Error(`on Kubernetes a replica is deleted 'graceful' or 'force', not '${kill}'`);
    const pod = this.pods().find((p) => p.metadata?.name === name);
    const service = pod && serviceOf(pod);
    if (!pod || !service) throw new Error(`no pod named ${name} of a service; pods: ${this.replicas().map((r) => r.name).join(', ')}`);
    const before = new Set(this.podsOf(service).map((p) => p.metadata?.name ?? ''));
    const gone = new Promise<void>((resolve) => this.deletions.set(name, { service, before, gone: resolve }));
    this.emitEvent({ type: 'replica-deleting', service, replica: name, kill, atMs: Date.now() });
    await this.deletePod(name, kill === 'force');
    const graceS = pod.spec?.terminationGracePeriodSeconds ?? 30;
    const bound = (graceS + 60) * 1000;
    const replacement = this.waitForNewPod(service, before, bound);
    await withTimeout(gone, bound, `pod ${name} was not gone ${bound / 1000} s after kubectl delete`);
    this.deletions.delete(name);
    const replacementName = await replacement;
    this.emitEvent({ type: 'replica-replaced', service, replica: name, replacement: replacementName, atMs: Date.now() });
    return { replacement: replacementName };
  }

  /** kubectl delete pod, returning as soon as the API accepted it (--wait=false). */
  async deletePod(name: string, force = false): Promise<void> {
    const args = ['delete', 'pod', name, '--namespace', this.target.namespace, '--wait=false'];
    if (force) args.push('--grace-period=0', '--force');
    await kubectl(args, { kubeconfig: this.target.kubeconfig, timeoutMs: 30_000 });
  }

  private async waitForNewPod(component: string, before: Set<string>, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const fresh = this.podsOf(component).find((p) => !before.has(p.metadata?.name ?? '') && !p.metadata?.deletionTimestamp);
      if (fresh?.metadata?.name) return fresh.metadata.name;
      if (Date.now() > deadline) throw new Error(`no replacement ${component} pod within ${timeoutMs / 1000} s`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.newPodWaiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, 500);
        this.newPodWaiters.add(wake);
      });
    }
  }

  /**
   * Every service has its replica count ready, none terminating, and the gateway routes to
   * exactly those pods: what the local cluster calls full strength.
   */
  async waitForFullStrength(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let problem = '';
    while (Date.now() < deadline) {
      problem = this.strengthProblem();
      if (problem === '') return;
      await sleep(100);
    }
    throw new Error(`the release was not at full strength within ${timeoutMs / 1000} s: ${problem}`);
  }

  private strengthProblem(): string {
    const applied = new Map((this.gateway?.applied ?? []).map((route) => [route.service, new Set(route.servers.map((s) => s.name))]));
    for (const service of SERVICE_NAMES) {
      const pods = this.replicas(service);
      const ready = pods.filter((p) => p.phase === 'ready');
      const want = this.wantedReplicas ?? ready.length;
      if (pods.some((p) => p.phase === 'terminating')) return `${service} has terminating pods`;
      if (ready.length !== want || pods.length !== want) return `${service}: ${ready.length} of ${want} pods ready (${pods.length} in all)`;
      const routed = applied.get(service) ?? new Set<string>();
      if (routed.size !== want || ready.some((p) => !routed.has(p.name))) return `${service}: the gateway routes to ${[...routed].join(', ') || 'nothing'}, ready are ${ready.map((p) => p.name).join(', ')}`;
    }
    return '';
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer?.stop();
    await this.gateway?.stop();
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
