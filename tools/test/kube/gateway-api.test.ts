// The gateway fixture (tools/kube/gateway) against a REAL kube-apiserver (with etcd; no kubelet:
// this test writes the EndpointSlices itself, as the EndpointSlice controller would), run as its
// CLI. The "pods" are tiny HTTP servers on 198.18.0.2, .3, … added to the loopback interface for
// the test (the API server refuses 127/8 addresses in an EndpointSlice), one port for all, so one
// slice port fits every endpoint.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, KubeConfig, NetworkingV1Api, type V1EndpointSlice } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../cluster/paths.ts';
import { freePort, isAlive } from '../../cluster/process-utils.ts';
import { addLoopbackAddresses, ControlPlane } from '../../kube/gateway/control-plane.ts';
import type { GatewayReload } from '../../kube/gateway/gateway.ts';

const NS = 'gw-test';
const SERVICE = 'anypod-cart';
const PODS = ['pod-a', 'pod-b', 'pod-c', 'pod-d', 'pod-e'] as const;
type Pod = (typeof PODS)[number];
const IP: Record<Pod, string> = { 'pod-a': '198.18.0.2', 'pod-b': '198.18.0.3', 'pod-c': '198.18.0.4', 'pod-d': '198.18.0.5', 'pod-e': '198.18.0.6' };
/** The gateway's window for gathering changes into one reload (a wider one than the default 100 ms, so the burst below shows it clearly). */
const COALESCE_MS = 250;
const progress = (m: string) => process.stderr.write(`gateway-api test: ${m}\n`);

let cp: ControlPlane;
let kc: KubeConfig;
let backendPort = 0;
const servers: Server[] = [];
let work = '';
let removeAddresses = () => {};

/** The gateway CLI: a child process, its stderr, and its reload events. */
class GatewayProcess {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly events: string;
  stderr = '';
  url = '';
  readonly exited: Promise<number | null>;

  constructor(name: string) {
    this.dir = join(work, name);
    this.events = join(work, `${name}.events.jsonl`);
    const args = ['--import', 'tsx', 'tools/kube/gateway/cli.ts', '--kubeconfig', cp.kubeconfig, '--namespace', NS, '--port', '0', '--dir', this.dir, '--events-file', this.events, '--coalesce-ms', String(COALESCE_MS)];
    this.child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL from the gateway within ${timeoutMs} ms; stderr:\n${this.stderr}`)), timeoutMs);
      this.child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const first = out.split('\n')[0];
        if (out.includes('\n')) {
          clearTimeout(timer);
          const m = /^gateway: (http:\/\/127\.0\.0\.1:\d+)$/.exec(first ?? '');
          if (m?.[1]) {
            this.url = m[1];
            resolve();
          } else reject(new Error(`first stdout line is not the URL: ${first}`));
        }
      });
      this.child.once('exit', (code) => reject(new Error(`gateway exited with ${code}; stderr:\n${this.stderr}`)));
    });
  }

  reloads(): GatewayReload[] {
    if (!existsSync(this.events)) return [];
    return readFileSync(this.events, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as GatewayReload);
  }

  /** Waits for a reload whose cart endpoints are exactly `pods`; returns it. */
  async waitForCart(pods: Pod[], timeoutMs = 15_000): Promise<GatewayReload> {
    const want = JSON.stringify([...pods].sort());
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const last = this.reloads().at(-1);
      if (last && JSON.stringify(last.endpoints.cart ?? []) === want) {
        await this.oldWorkersGone(deadline);
        return last;
      }
      await sleep(25);
    }
    throw new Error(`no reload with cart endpoints ${want} within ${timeoutMs} ms; last: ${JSON.stringify(this.reloads().at(-1))}; stderr:\n${this.stderr}`);
  }

  /**
   * A reload is live when the router's new worker answers; for a few milliseconds after, the old
   * worker may still accept a connection (both wait on the same listening socket until the old one
   * handles its QUIT). Checks of who is in rotation wait for the router to have one worker again.
   */
  async oldWorkersGone(deadline: number): Promise<void> {
    const router = Number(readFileSync(join(this.dir, 'router', 'nginx.pid'), 'utf8').trim());
    let workers: string[] = [];
    while (Date.now() < deadline) {
      workers = spawnSync('pgrep', ['-P', String(router)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      if (workers.length === 1) return;
      await sleep(10);
    }
    throw new Error(`the router (${router}) still has ${workers.length} workers`);
  }

  /** The nginx masters' pids, from their pid files. */
  nginxPids(): number[] {
    return ['edge', 'router'].map((t) => Number(readFileSync(join(this.dir, t, 'nginx.pid'), 'utf8').trim()));
  }
}

let gw: GatewayProcess;

function endpointSlice(name: string, pods: Array<{ pod: Pod; ready?: boolean; terminating?: boolean }>): V1EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': SERVICE } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: backendPort, protocol: 'TCP' }],
    endpoints: pods.map(({ pod, ready = true, terminating = false }) => ({
      addresses: [IP[pod]],
      conditions: { ready, serving: ready || terminating, terminating },
      targetRef: { kind: 'Pod', namespace: NS, name: pod },
    })),
  };
}

/** An HTTPRoute in the test namespace, through the real API (client-node has no model for CRDs). */
async function createHTTPRoute(metadata: { name: string; labels?: Record<string, string> }, spec: Record<string, unknown>): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    namespace: NS,
    plural: 'httproutes',
    body: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata, spec },
  });
}

async function putSlice(slice: V1EndpointSlice): Promise<void> {
  const api = kc.makeApiClient(DiscoveryV1Api);
  const name = slice.metadata!.name!;
  try {
    const current = await api.readNamespacedEndpointSlice({ name, namespace: NS });
    slice.metadata!.resourceVersion = current.metadata?.resourceVersion;
    await api.replaceNamespacedEndpointSlice({ name, namespace: NS, body: slice });
  } catch (error) {
    if ((error as { code?: number }).code !== 404) throw error;
    await api.createNamespacedEndpointSlice({ namespace: NS, body: slice });
  }
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

/** One GET through the gateway; the pod that answered (x-served-by), and whether the socket was reused. */
function get(url: string, agent: Agent = keepAlive): Promise<{ status: number; pod: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, pod: String(res.headers['x-served-by'] ?? ''), reused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function spread(n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await get(`${gw.url}/cart/items`);
    expect(r.status).toBe(200);
    counts[r.pod] = (counts[r.pod] ?? 0) + 1;
  }
  return counts;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'anypod-gateway-test-'));
  cp = new ControlPlane(progress);
  await cp.start();
  kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);

  removeAddresses = addLoopbackAddresses(Object.values(IP));
  backendPort = await freePort();
  for (const pod of PODS) {
    const server = createServer((req, res) => {
      res.setHeader('x-served-by', pod);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ pod, url: req.url }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`cannot listen on ${IP[pod]}:${backendPort}: ${e.message}`)));
      server.listen(backendPort, IP[pod], resolve);
    });
    servers.push(server);
  }

  await cp.kubectl(['create', 'namespace', NS]);
  const labels = { 'app.kubernetes.io/name': 'anypod', 'app.kubernetes.io/instance': 'anypod', 'app.kubernetes.io/component': 'cart' };
  await kc.makeApiClient(CoreV1Api).createNamespacedService({
    namespace: NS,
    body: { metadata: { name: SERVICE, labels }, spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'http', port: 3000, targetPort: 'http' as never, protocol: 'TCP' }] } },
  });
  // The chart's HTTPRoute for cart, as k8s/cart.yaml has it.
  await createHTTPRoute({ name: SERVICE, labels }, {
    parentRefs: [{ name: 'anypod-gateway', sectionName: 'http' }],
    rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/cart' } }], backendRefs: [{ name: SERVICE, port: 3000 }] }],
  });
  await putSlice(endpointSlice('anypod-cart-a', [{ pod: 'pod-a' }, { pod: 'pod-b' }, { pod: 'pod-c' }]));

  gw = new GatewayProcess('gw');
  await gw.ready();
  progress(`gateway at ${gw.url}`);
}, 600_000);

afterAll(async () => {
  keepAlive.destroy();
  if (gw && gw.child.exitCode === null) {
    gw.child.kill('SIGTERM');
    await gw.exited;
  }
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await cp?.stop();
  removeAddresses();
  if (work) rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('the gateway fixture on a real kube-apiserver', { tags: ['timing'] }, () => {
  it('starts with the ready endpoints and spreads requests over all of them, per request on one keep-alive connection', async () => {
    const first = await gw.waitForCart(['pod-a', 'pod-b', 'pod-c']);
    expect(first.generation).toBe(0);
    const seen: Array<{ pod: string; reused: boolean }> = [];
    for (let i = 0; i < 30; i++) {
      const r = await get(`${gw.url}/cart/items`);
      expect(r.status).toBe(200);
      seen.push(r);
    }
    // one client connection for all 30 requests...
    expect(seen.slice(1).every((r) => r.reused)).toBe(true);
    // ...and still every pod, in turn (one nginx worker, round robin: 10 each)
    const counts = Object.fromEntries(PODS.slice(0, 3).map((p) => [p, seen.filter((r) => r.pod === p).length]));
    expect(counts).toEqual({ 'pod-a': 10, 'pod-b': 10, 'pod-c': 10 });
    // consecutive requests on that connection go to different pods
    expect(seen.slice(1).every((r, i) => r.pod !== seen[i]!.pod)).toBe(true);
  });

  it('takes an endpoint out of rotation when it is not ready, and when it is terminating', async () => {
    await putSlice(endpointSlice('anypod-cart-a', [{ pod: 'pod-a' }, { pod: 'pod-b', ready: false }, { pod: 'pod-c' }]));
    const r1 = await gw.waitForCart(['pod-a', 'pod-c']);
    progress(`not-ready endpoint out: generation ${r1.generation} live ${r1.tookMs} ms after the reload began`);
    expect(Object.keys(await spread(20)).sort()).toEqual(['pod-a', 'pod-c']);

    await putSlice(endpointSlice('anypod-cart-a', [{ pod: 'pod-a' }, { pod: 'pod-b' }, { pod: 'pod-c', ready: false, terminating: true }]));
    await gw.waitForCart(['pod-a', 'pod-b']);
    expect(Object.keys(await spread(20)).sort()).toEqual(['pod-a', 'pod-b']);
  });

  it('adds a new endpoint (in a second slice of the Service) to the rotation', async () => {
    await putSlice(endpointSlice('anypod-cart-b', [{ pod: 'pod-d' }]));
    await gw.waitForCart(['pod-a', 'pod-b', 'pod-d']);
    expect(Object.keys(await spread(30)).sort()).toEqual(['pod-a', 'pod-b', 'pod-d']);
  });

  it('loses no request while a burst of endpoint changes is applied under a steady stream of requests, in few reloads', async () => {
    const before = gw.reloads().length;
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const clients = Array.from({ length: 4 }, async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      while (!stop) {
        try {
          const r = await get(`${gw.url}/cart/items`, agent);
          if (r.status === 200) ok++;
          else failures.push(`status ${r.status}`);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
      agent.destroy();
    });
    await sleep(300);
    // 30 changes, 40 ms apart: endpoints leave (not ready, terminating) and come back, always
    // with at least one ready; the last state is known.
    const states: Pod[][] = [];
    const burstStart = Date.now();
    for (let i = 0; i < 30; i++) {
      const ready = PODS.filter((_, j) => (i + j) % 3 !== 0 || j === i % 5);
      states.push(ready);
      await putSlice(
        endpointSlice(
          'anypod-cart-a',
          PODS.map((pod) => (ready.includes(pod) ? { pod } : { pod, ready: false, terminating: (i + PODS.indexOf(pod)) % 2 === 0 })),
        ),
      );
      await sleep(40);
    }
    const burstMs = Date.now() - burstStart;
    const last = states.at(-1)!;
    // pod-d of slice b is still ready too
    const final = await gw.waitForCart([...new Set([...last, 'pod-d' as Pod])]);
    await sleep(300);
    stop = true;
    await Promise.all(clients);
    const reloads = gw.reloads().length - before;
    progress(`burst: ${ok} requests answered, ${failures.length} failed, 30 changes in ${burstMs} ms, ${reloads} reloads; last reload live in ${final.tookMs} ms`);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(100);
    // Coalesced: a reload starts only at the end of a window opened by a change, so at most one
    // per window (plus the one of the last window).
    expect(reloads).toBeGreaterThan(0);
    expect(reloads).toBeLessThanOrEqual(Math.ceil(burstMs / COALESCE_MS) + 1);
  });

  it('routes an Ingress Prefix path as the chart renders it (backend port by name), to its own Service’s endpoints', async () => {
    const labels = { 'app.kubernetes.io/name': 'anypod', 'app.kubernetes.io/instance': 'anypod', 'app.kubernetes.io/component': 'auth' };
    await kc.makeApiClient(CoreV1Api).createNamespacedService({
      namespace: NS,
      body: { metadata: { name: 'anypod-auth', labels }, spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'http', port: 3000, targetPort: 'http' as never, protocol: 'TCP' }] } },
    });
    await kc.makeApiClient(NetworkingV1Api).createNamespacedIngress({
      namespace: NS,
      body: {
        metadata: { name: 'anypod-ingress' },
        spec: { ingressClassName: 'traefik', rules: [{ http: { paths: [{ path: '/auth', pathType: 'Prefix', backend: { service: { name: 'anypod-auth', port: { name: 'http' } } } }] } }] },
      },
    });
    const slice = endpointSlice('anypod-auth-a', [{ pod: 'pod-e' }]);
    slice.metadata!.labels!['kubernetes.io/service-name'] = 'anypod-auth';
    await putSlice(slice);
    const deadline = Date.now() + 15_000;
    while (JSON.stringify(gw.reloads().at(-1)?.endpoints.auth) !== '["pod-e"]' && Date.now() < deadline) await sleep(25);
    expect(gw.reloads().at(-1)?.endpoints.auth).toEqual(['pod-e']);
    await gw.oldWorkersGone(deadline);
    for (let i = 0; i < 5; i++) expect(await get(`${gw.url}/auth/login`)).toMatchObject({ status: 200, pod: 'pod-e' });
  });

  it('reports a route shape it does not support, and keeps serving the others', async () => {
    await createHTTPRoute({ name: 'exact-catalog' }, { rules: [{ matches: [{ path: { type: 'Exact', value: '/catalog' } }], backendRefs: [{ name: SERVICE, port: 3000 }] }] });
    const expected = 'refused: HTTPRoute/exact-catalog: rule 0: path match Exact /catalog not supported (only PathPrefix)';
    const deadline = Date.now() + 10_000;
    while (!gw.stderr.includes(expected) && Date.now() < deadline) await sleep(50);
    expect(gw.stderr).toContain(expected);
    expect((await get(`${gw.url}/catalog`)).status).toBe(404);
    expect((await get(`${gw.url}/cart/items`)).status).toBe(200);
  });

  it('keeps serving the last routes while the API server is down (killed), and follows changes again once it is back', async () => {
    const before = gw.reloads().at(-1)!;
    const inRotation = (before.endpoints.cart ?? []) as Pod[];
    await cp.stopApiserver();
    const down = Date.now();
    // Nothing to watch: the routes nginx has stay as they are and keep answering.
    const during = await spread(20);
    expect(Object.keys(during).sort()).toEqual([...inRotation].sort());
    await cp.startApiserver();
    progress(`API server down (killed) for ${Date.now() - down} ms`);
    await putSlice(endpointSlice('anypod-cart-b', [{ pod: 'pod-d' }, { pod: 'pod-e' }]));
    const after = [...new Set([...inRotation, 'pod-e' as Pod])];
    await gw.waitForCart(after, 15_000);
    expect(Object.keys(await spread(30)).sort()).toEqual([...after].sort());
    expect(gw.stderr).toMatch(/retrying in \d+ ms/);
    expect(gw.stderr).toMatch(/endpointslices\.discovery\.k8s\.io: listed and watching again/);
  });

  it('stops nginx and exits 0 on SIGTERM; a SIGKILLed gateway takes its nginx with it', async () => {
    const pids = gw.nginxPids();
    expect(pids.every(isAlive)).toBe(true);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    await expect(get(`${gw.url}/cart/items`, new Agent())).rejects.toThrow(/ECONNREFUSED/);

    const killed = new GatewayProcess('gw-killed');
    await killed.ready();
    const killedPids = killed.nginxPids();
    expect(killedPids.every(isAlive)).toBe(true);
    killed.child.kill('SIGKILL');
    await killed.exited;
    const deadline = Date.now() + 10_000;
    while (killedPids.some(isAlive) && Date.now() < deadline) await sleep(50);
    expect(killedPids.filter(isAlive)).toEqual([]);
  });
});
