// The proof on a real Kubernetes (issue 11): the one-node cluster of tools/kube built from
// source, started here; the chart installed by quickstart/deploy.sh (the kind/minikube path)
// with Pod Security "restricted" enforced by the real API server and `helm test` passing; a
// variant of the chart's Deployment that breaks "restricted" refused; and a short proof through
// the gateway with pods deleted by kubectl — at least two graceful and one forced deletion,
// nothing lost, duplicated or unexpected, sessions served by several pods. The cluster is taken
// down at the end and the machine checked to be as before.
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { REPO_ROOT } from '../../cluster/paths.ts';
import { startKiller } from '../../proof/killer.ts';
import type { ProofReport, RunReport } from '../../proof/report-types.ts';
import { runProof } from '../../proof/run-proof.ts';
import { KubeCluster, startKubeCluster } from '../../kube/proof/kube-cluster.ts';
import { kubectl, kubeEnv } from '../../kube/proof/kube-env.ts';
import { KUBE_RUNS } from '../../kube/proof/runs.ts';
import { seedReleaseCatalog } from '../../kube/proof/seed.ts';
import { kubePlatform, nodeJaegerUrl } from '../../kube/proof/cli.ts';
import { eventually } from '../../cluster/testing.ts';
import { checkLive } from '../../dashboards/check-live.ts';
import { JaegerQuery, podOf, PromQL, spanKind, type Trace } from '../../observability/index.ts';
import { findCrossing } from '../../observability/sessions.ts';
import { describeK6Scripts } from './k6-scripts.ts';
import { failedChecks, runNamed } from '../proof-runs.ts';

const execFileAsync = promisify(execFile);
const NAMESPACE = 'anypod';

let dir: string;
let logPath: string;

/** Runs a tools/kube script, its output into the test's log; throws with the log's tail on failure. */
function script(name: string, args: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(logPath, { flags: 'a' });
    out.write(`\n$ bash tools/kube/${name} ${args.join(' ')}\n`);
    const child = spawn('bash', [join(REPO_ROOT, 'tools/kube', name), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.once('error', reject);
    child.once('exit', (code) => {
      out.end(() => {
        if (code === 0) resolve();
        else reject(new Error(`tools/kube/${name} exited with ${code}:\n${readFileSync(logPath, 'utf8').split('\n').slice(-40).join('\n')}`));
      });
    });
  });
}

async function sh(command: string, args: string[]): Promise<string> {
  return (await execFileAsync(command, args, { encoding: 'utf8' })).stdout;
}

/**
 * What kube-up touches on the machine, to compare before and after: links, routes and addresses
 * of the cluster's ranges, iptables rules and chains of Kubernetes, CNI and the guard (in both
 * families), netns pins, mounts under the run folder, the host paths the kubelet, containerd and
 * CNI use, ip_forward. (Podman, which other stages run,
 * may add its own bridge and chains; those are not the cluster's and are left out.)
 */
async function machineState(): Promise<Record<string, string>> {
  const { BRIDGE, RUN_DIR } = kubeEnv();
  const ours = (line: string) => line.includes(BRIDGE) || /10\.(244|96)\./.test(line) || /KUBE-|ANYPOD|CNI-/.test(line);
  const lines = (text: string) => text.split('\n').filter(ours).sort().join('\n');
  return {
    links: lines(await sh('ip', ['-o', 'link', 'show'])) + lines(await sh('ip', ['-o', 'addr', 'show'])),
    routes: lines(await sh('ip', ['route', 'show', 'table', 'all'])),
    iptables: lines(await sh('iptables-save', [])),
    ip6tables: lines(await sh('ip6tables-save', [])),
    netns: existsSync('/run/netns') ? (await sh('ls', ['/run/netns'])).trim() : 'no /run/netns',
    mounts: readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(RUN_DIR)).join('\n'),
    hostPaths: kubeEnv().HOST_PATHS.split(' ').map((path) => `${path} ${existsSync(path) ? 'present' : 'absent'}`).join('\n'),
    ipForward: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(),
  };
}

let before: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anypod-kube-'));
  logPath = join(dir, 'kube.log');
  // A cluster left by an earlier, killed run is taken down first, so "before" is the machine's own state.
  await script('down.sh', ['--quiet']);
  before = await machineState();
  await script('up.sh');
  await script('deploy.sh', ['--values', join(REPO_ROOT, 'tools/kube/proof-values.yaml'), '--timeout', '5m']);
}, 900_000);

afterAll(async () => {
  try {
    await script('down.sh');
    const after = await machineState();
    // Written here and asserted in the last test would run before afterAll; so assert here.
    expect(after).toEqual(before);
    expect(existsSync('/dev/null') && (await sh('stat', ['-c', '%F', '/dev/null'])).trim()).toBe('character special file');
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}, 120_000);

describe('the one-node cluster', () => {
  it('routes the pod and Service ranges to its own bridge and drops pod traffic leaving it, before and while pods run', async () => {
    const { BRIDGE, GUARD_CHAIN, POD_SUPERNET } = kubeEnv();
    // A Service address and a pod address, whatever kube-proxy does: the kernel's route decides.
    for (const address of ['10.96.200.200', '10.244.0.200', '10.244.7.7']) {
      expect(await sh('ip', ['route', 'get', address])).toContain(`dev ${BRIDGE}`);
    }
    // In mangle FORWARD, which runs before the filter table where kube-proxy puts its ACCEPTs; and
    // first there, with everything started.
    const forward = (await sh('iptables', ['-t', 'mangle', '-S', 'FORWARD'])).split('\n');
    expect(forward[1], 'the guard is the first mangle FORWARD rule').toBe(`-A FORWARD -j ${GUARD_CHAIN}`);
    expect(await sh('iptables', ['-t', 'mangle', '-S', GUARD_CHAIN])).toContain(`-A ${GUARD_CHAIN} -s ${POD_SUPERNET} ! -o ${BRIDGE} -j DROP`);
    // Inside a pod: only its subnet and the Service range, no default route.
    const { stdout: pods } = await kubectl(['get', 'pods', '--namespace', NAMESPACE, '--selector', 'app.kubernetes.io/component=catalog', '--output', 'jsonpath={.items[0].metadata.name}']);
    const { stdout: table } = await kubectl(['exec', '--namespace', NAMESPACE, pods.trim(), '--container', 'catalog', '--', 'cat', '/proc/net/route']);
    const destinations = table.trim().split('\n').slice(1).map((line) => line.split(/\s+/)[1]);
    expect(destinations.length).toBeGreaterThan(0);
    expect(destinations, 'a pod has no default route').not.toContain('00000000');
  });

  it("enforces the chart's NetworkPolicies (kube-router): the flows the chart allows connect, others are refused", async () => {
    const pod = async (component: string): Promise<{ name: string; ip: string }> => {
      const { stdout } = await kubectl(['get', 'pods', '--namespace', NAMESPACE, '--selector', `app.kubernetes.io/component=${component}`, '--field-selector', 'status.phase=Running', '--output', 'jsonpath={.items[0].metadata.name} {.items[0].status.podIP}']);
      const [name = '', ip = ''] = stdout.trim().split(' ');
      return { name, ip };
    };
    // A TCP connect from inside a service pod (its own node binary): open, or why not.
    const connect = async (from: string, to: { ip: string }, port: number): Promise<string> => {
      const script = `const s = require('net').connect({ host: '${to.ip}', port: ${port}, timeout: 2000 });
        s.on('connect', () => { console.log('open'); process.exit(0); });
        s.on('timeout', () => { console.log('timed out'); process.exit(0); });
        s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
      const { name } = await pod(from);
      return (await kubectl(['exec', '--namespace', NAMESPACE, name, '--container', from, '--', 'node', '-e', script])).stdout.trim();
    };
    const [auth, catalog, cart, postgres] = await Promise.all(['auth', 'catalog', 'cart', 'postgres'].map(pod));
    if (!auth || !catalog || !cart || !postgres) throw new Error('a component has no running pod');
    // Allowed by the chart: cart calls catalog and auth, every service reaches Postgres.
    expect(await connect('cart', catalog, 3000)).toBe('open');
    expect(await connect('cart', auth, 3000)).toBe('open');
    expect(await connect('catalog', postgres, 5432)).toBe('open');
    // Not allowed: nothing calls cart but the gateway; auth calls nobody.
    expect(await connect('catalog', cart, 3000)).not.toBe('open');
    expect(await connect('auth', catalog, 3000)).not.toBe('open');
    // The refused targets do listen: from the node (the gateway's side) they answer.
    expect((await sh('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', `http://${cart.ip}:3000/readyz`])).trim()).toBe('200');
  });

  it('runs the release in a namespace that enforces Pod Security "restricted", every Deployment ready', async () => {
    const { stdout } = await kubectl(['get', 'namespace', NAMESPACE, '--output', 'json']);
    expect(JSON.parse(stdout).metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    const deployments = JSON.parse((await kubectl(['get', 'deployments', '--namespace', NAMESPACE, '--output', 'json'])).stdout) as { items: Array<{ metadata: { name: string }; status: { readyReplicas?: number }; spec: { replicas: number } }> };
    expect(deployments.items.map((d) => d.metadata.name).sort()).toEqual(['anypod-auth', 'anypod-cart', 'anypod-catalog', 'anypod-valkey']);
    for (const d of deployments.items) expect(d.status.readyReplicas, d.metadata.name).toBe(d.spec.replicas);
    // deploy.sh ran `helm test` and stopped at its first failure; its log says it passed.
    expect(readFileSync(logPath, 'utf8')).toMatch(/Phase:\s+Succeeded/);
  });

  it('refuses a variant of the chart\'s Deployment that breaks "restricted": the ReplicaSet gets FailedCreate, no pod runs', async () => {
    // The chart has no switch that breaks "restricted" (its contexts are fixed), so the variant
    // is its own catalog Deployment with one field changed: privilege escalation allowed.
    const deployment = readFileSync(join(REPO_ROOT, 'k8s/catalog.yaml'), 'utf8').split(/^---$/m).find((doc) => /^kind: Deployment$/m.test(doc));
    const rendered = parseYaml(deployment ?? '') as {
      metadata: { name: string; labels: Record<string, string> };
      spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ securityContext: Record<string, unknown> }>; initContainers?: unknown[] } } };
    };
    const name = 'anypod-catalog-violating';
    rendered.metadata.name = name;
    // Labels of its own: the release's Services and the proof must never pick its pods.
    rendered.metadata.labels = { 'app.kubernetes.io/name': 'violating-variant' };
    rendered.spec.selector.matchLabels = { 'app.kubernetes.io/name': 'violating-variant' };
    rendered.spec.template.metadata.labels = { 'app.kubernetes.io/name': 'violating-variant' };
    const container = rendered.spec.template.spec.containers[0];
    if (!container) throw new Error('the catalog Deployment has no container');
    container.securityContext.allowPrivilegeEscalation = true;
    const file = join(dir, 'violating.yaml');
    await writeFile(file, stringify(rendered));
    const applied = await kubectl(['apply', '--namespace', NAMESPACE, '--filename', file]);
    // The Deployment itself is admitted (with a warning): Pod Security checks pods.
    expect(applied.stderr).toMatch(/would violate PodSecurity "restricted/);
    try {
      let message = '';
      for (let i = 0; i < 100 && !message; i++) {
        const { stdout } = await kubectl(['get', 'events', '--namespace', NAMESPACE, '--field-selector', 'reason=FailedCreate', '--output', 'jsonpath={range .items[*]}{.involvedObject.name}{"\\t"}{.message}{"\\n"}{end}']);
        message = stdout.split('\n').find((line) => line.startsWith(`${name}-`)) ?? '';
        if (!message) await new Promise((r) => setTimeout(r, 200));
      }
      expect(message).toMatch(/forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
      const { stdout: pods } = await kubectl(['get', 'pods', '--namespace', NAMESPACE, '--selector', 'app.kubernetes.io/name=violating-variant', '--output', 'name']);
      expect(pods.trim()).toBe('');
    } finally {
      await kubectl(['delete', 'deployment', name, '--namespace', NAMESPACE, '--wait=true']);
    }
  });
});

describe('the short proof on real pods', { tags: ['timing'] }, () => {
  let report: ProofReport;
  const lines: string[] = [];
  const run = (name: string): RunReport => runNamed(report, name);
  const spec = (name: string) => {
    const found = KUBE_RUNS.find((r) => r.name === name);
    if (!found) throw new Error(`no kube run ${name}`);
    return found;
  };

  beforeAll(async () => {
    let current: KubeCluster | undefined;
    report = await runProof({
      // Deletions at 8 and 16 s (graceful) and 8 and 16 s (force): the graceful run must show two,
      // the forced one one; a pod's replacement is ready in a few seconds here.
      runs: [{ ...spec('kube-graceful'), minKills: 2 }, { ...spec('kube-force'), minKills: 1 }],
      durationS: 22,
      killEveryS: 8,
      vus: 6,
      replicas: 3,
      minKills: 2,
      runDir: join(dir, 'proof'),
      shareClusters: true,
      platform: await kubePlatform(),
      jaegerUrl: nodeJaegerUrl((line) => lines.push(line)),
      startCluster: async (options) => (current = await startKubeCluster({ ...options, log: (line) => lines.push(line) })),
      startDisruptor: (_spec, _cluster, options) => startKiller(options),
      seedCatalog: () => seedReleaseCatalog(current as KubeCluster),
      log: (line) => lines.push(line),
    });
  }, 600_000);

  it.each(['kube-graceful', 'kube-force'])('%s loses nothing while pods are deleted with kubectl', (name) => {
    const r = run(name);
    expect(failedChecks(r), lines.join('\n')).toEqual([]);
    expect(r.writes).toMatchObject({ lost: 0, unexpected: 0, duplicated: 0 });
    expect(r.writes.acknowledged).toBeGreaterThan(0);
    expect(r.sessions.minDistinctPods).toBeGreaterThanOrEqual(2);
    expect(r.kills).toBeGreaterThanOrEqual(name === 'kube-graceful' ? 2 : 1);
    expect(r.killEvents.every((k) => k.kind === (name === 'kube-graceful' ? 'graceful' : 'force'))).toBe(true);
    // The replacements were made by the ReplicaSet: new pod names of the same Deployment.
    expect(r.killEvents.every((k) => k.replacement && k.replacement !== k.replica && k.replacement.split('-').slice(0, 2).join('-') === k.replica.split('-').slice(0, 2).join('-'))).toBe(true);
    expect(r.pass).toBe(true);
  });

  it('spreads every session over several pods of catalog and cart, and uses every auth pod', () => {
    // From the run's history: each attempt says which pod answered (x-served-by = the pod name).
    const history = JSON.parse(readFileSync(join(dir, 'proof', 'kube-graceful', 'history.json'), 'utf8')) as { operations: Array<{ user: string; attempts: Array<{ servedBy?: string }> }> };
    const pods = new Map<string, Set<string>>();
    for (const op of history.operations) {
      for (const attempt of op.attempts) {
        const service = /^anypod-(auth|catalog|cart)-/.exec(attempt.servedBy ?? '')?.[1];
        if (!service || !attempt.servedBy) continue;
        const key = `${service} ${op.user}`;
        pods.set(key, (pods.get(key) ?? new Set()).add(attempt.servedBy));
      }
    }
    const perSession = (service: string) => [...pods].filter(([key]) => key.startsWith(`${service} `)).map(([, set]) => set.size);
    // A session makes dozens of catalog and cart requests, and signs in once or twice at auth.
    for (const service of ['catalog', 'cart']) {
      expect(perSession(service).length, service).toBeGreaterThan(0);
      expect(Math.min(...perSession(service)), `fewest ${service} pods one session used`).toBeGreaterThanOrEqual(2);
    }
    const authPods = new Set([...pods].filter(([key]) => key.startsWith('auth ')).flatMap(([, set]) => [...set]));
    expect(authPods.size, 'auth pods that answered').toBeGreaterThanOrEqual(2);
  });

  it('says it ran on Kubernetes', () => {
    expect(report.machine.platform).toMatchObject({ kind: 'kubernetes', version: 'v1.35.4', nodes: [kubeEnv().NODE_NAME], release: 'anypod' });
  });

  // The node's Jaeger (tools/kube/observability.ts): the pods' own spans, read back.
  describe("the node's Jaeger", () => {
    const jaeger = () => new JaegerQuery(readFileSync(join(kubeEnv().RUN_DIR, 'jaeger.url'), 'utf8').trim());
    let cartTraces: Trace[];
    beforeAll(async () => {
      cartTraces = await jaeger().findTraces({ service: 'cart', limit: 200 });
    });

    it('puts in the report, per run, sessions whose traces were served by several pods, checked against the pods the spans name', () => {
      for (const name of ['kube-graceful', 'kube-force']) {
        const traces = run(name).traces;
        expect(traces?.reason, `${name}: ${traces?.error ?? ''}`).toBeUndefined();
        expect(traces?.sessionsChecked, name).toBeGreaterThan(0);
        expect(traces?.minDistinctPodsPerSession, name).toBeGreaterThanOrEqual(2);
        expect(traces?.sessions.flatMap((s) => s.pods).every((p) => /^anypod-cart-[a-z0-9]+-[a-z0-9]+$/.test(p)), name).toBe(true);
        expect(traces?.crossing, name).toBeDefined();
      }
    });

    it('holds a trace crossing cart → catalog: catalog\'s server span is the child of cart\'s client span, in the request cart served', () => {
      expect(cartTraces.length).toBeGreaterThan(10);
      const crossing = findCrossing(cartTraces, 'cart', 'catalog');
      expect(crossing, 'no trace with a sound cart → catalog call').toBeDefined();
      const { trace, call, entry } = crossing!;
      expect(call.server.references.find((r) => r.refType === 'CHILD_OF')?.spanID).toBe(call.client.spanID);
      expect(spanKind(call.client)).toBe('client');
      // Both ends name real pods of their Deployments.
      expect(podOf(trace, entry)).toMatch(/^anypod-cart-/);
      expect(podOf(trace, call.server)).toMatch(/^anypod-catalog-/);
    });

    // The log side of a trace (its id in the pod's log lines) is checked where replicas log
    // their requests: the proof runs at LOG_LEVEL=warn (tools/kube/proof-values.yaml), so pods
    // here write no request lines; see tools/test/cluster/observability.test.ts and
    // services/cart/test/tracing.test.ts.
  });

  // The node's Prometheus (tools/kube/observability.ts), configured from the chart, after the
  // proof's load and deletions.
  describe("the node's Prometheus", () => {
    const prometheus = () => new PromQL(readFileSync(join(kubeEnv().RUN_DIR, 'prometheus.url'), 'utf8').trim());

    it('follows the pods: a deleted pod\'s series stop, its replacement\'s appear, with the labels a kube-prometheus-stack gives', async () => {
      const promql = prometheus();
      const events = report.runs.flatMap((r) => r.killEvents);
      expect(events.length).toBeGreaterThanOrEqual(3);
      // Prometheus marks a vanished target's series stale at once: an instant query no longer
      // finds them, while the range before the deletion still holds their samples.
      // What the discovery and Prometheus said, for a failure's message.
      const { LOG_DIR, RUN_DIR } = kubeEnv();
      const tail = (file: string) => `${file}:\n${existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '(missing)'}`;
      const diagnosis = () => [join(LOG_DIR, 'prometheus-sd.log'), join(RUN_DIR, 'observability/prometheus/prometheus.log')].map(tail).join('\n');
      for (const event of events) {
        // A pod deleted in a run's last seconds may still be a target for a moment: Prometheus
        // polls the discovery every 5 s and applies what changed at most every 5 s.
        const stale = await eventually(`${event.replica}'s target gone`, async () => ((await promql.vector(`up{namespace="${NAMESPACE}", pod="${event.replica}"}`)).length === 0 ? true : undefined), 30_000).catch(
          (error: Error) => `${error.message}\n${diagnosis()}`,
        );
        expect(stale, `${event.replica} (deleted at ${event.atMs} ms of its run) still scraped`).toBe(true);
        const past = await promql.matrix(`up{namespace="${NAMESPACE}", pod="${event.replica}"}[15m]`);
        expect(past.length, `${event.replica} was never scraped`).toBe(1);
        const replacement = event.replacement ?? '';
        const appeared = await promql.vector(`max_over_time(up{namespace="${NAMESPACE}", pod="${replacement}"}[15m]) == 1`);
        expect(appeared.map((s) => s.metric), `${replacement} (replacement) never scraped up`).toEqual([
          { container: /^anypod-(\w+)-/.exec(replacement)?.[1], instance: expect.any(String), job: 'anypod', namespace: NAMESPACE, pod: replacement },
        ]);
        // Its own series, not only the target's (a replacement deleted in a later run has them only in the past).
        expect((await promql.vector(`last_over_time(http_requests_total{namespace="${NAMESPACE}", pod="${replacement}"}[15m])`)).length, `${replacement} has no request series`).toBeGreaterThan(0);
      }
      // Every pod running now is a target that is up, and nothing else is.
      const { stdout } = await kubectl(['get', 'pods', '--namespace', NAMESPACE, '-l', 'app.kubernetes.io/component in (auth,catalog,cart)', '-o', 'jsonpath={.items[*].metadata.name}']);
      const up = await promql.vector(`up{namespace="${NAMESPACE}", job="anypod"} == 1`);
      expect(up.map((s) => s.metric.pod).sort()).toEqual(stdout.trim().split(/\s+/).sort());
    });

    it('answers every panel query of every dashboard with series (cAdvisor included)', async () => {
      const results = await checkLive({ prometheusUrl: prometheus().baseUrl, namespace: NAMESPACE });
      expect(results.length).toBeGreaterThan(20);
      const bad = results.filter((r) => r.skipped !== undefined || r.error !== undefined || r.series === 0);
      expect(bad.map((r) => `${r.query.dashboard} / ${r.query.name}: ${r.error ?? r.skipped ?? 'no series'}\n  ${r.query.promql}`)).toEqual([]);
    });

    it("loads the chart's alert and recording rules and evaluates every one without error", async () => {
      const res = await fetch(`${prometheus().baseUrl}/api/v1/rules`);
      const groups = ((await res.json()) as { data: { groups: Array<{ rules: Array<{ name: string; type: string; health: string; lastError?: string }> }> } }).data.groups;
      const rules = groups.flatMap((g) => g.rules);
      expect(rules.filter((r) => r.type === 'alerting').length).toBeGreaterThanOrEqual(5);
      expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
    });
  });
});

// Last: it moves the release to the stateful mode.
describeK6Scripts({ dir: () => dir, log: (line) => appendFileSync(logPath, `${line}\n`) });
