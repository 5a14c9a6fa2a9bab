// Live readiness (issue 14): the local cluster probes every ready replica like the kubelet, with
// the readiness probe's timing from k8s/. Three auth replicas behind real nginx, on the real
// Postgres; each replica reaches it through a TCP forwarder this test holds (envFor), one for the
// victim and one for the two others. Cutting the victim's link makes its /readyz fail: after
// failureThreshold probes it leaves the rotation and nginx sends it nothing (X-Served-By and the
// router's access log), while the two others answer every request; when the link is back it
// passes its probe and serves again, the same process, never restarted. With every link cut the
// Ingress answers for the service itself: 503, problem+json, Retry-After. Last, the probe's
// deadline: an answer that arrived in time counts as one even when the prober's own event loop
// (shared with a test or the proof's load driver) was stalled past it.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpLink, type TcpLink } from '@anypod/platform/testing/tcp-link';
import { DEFAULT_DATABASE_URL } from '../../cluster/cluster.ts';
import { eventRecorder } from '../../cluster/event-recorder.ts';
import { KUBE_PROBE_DEFAULTS, loadManifests, ManifestError } from '../../cluster/manifests.ts';
import { K8S_DIR, SERVICE_NAMES } from '../../cluster/paths.ts';
import { httpGet, isAlive } from '../../cluster/process-utils.ts';
import { eventually, keepAliveLoad, newAccount, type LoadRequest, type RequestRecord } from '../../cluster/testing.ts';
import type { Cluster } from '../../cluster/types.ts';
import { startTestCluster } from './test-cluster.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const timing = loadManifests().service('auth').readinessTiming;
const periodMs = timing.periodSeconds * 1000;
/** From a cut to the replica's removal at the latest: the first failing probe within a period, then failureThreshold - 1 more, the last one taking up to its timeout; plus a reload. */
const UNREADY_WITHIN_MS = timing.failureThreshold * periodMs + timing.timeoutSeconds * 1000 + 3000;
/** From the link's return to the replica's return, likewise. */
const READY_WITHIN_MS = timing.successThreshold * periodMs + timing.timeoutSeconds * 1000 + 3000;
const REPLICAS = 3;
const CLIENTS = 4;
const events = eventRecorder();
let runDir: string;
let cluster: Cluster;
let token: string;
let victimLink: TcpLink;
let othersLink: TcpLink;
let victim: string | undefined;

/** /auth/me reads the user from Postgres, the JWKS does not: both kinds of request run on every replica. */
function requests(client: number, n: number): LoadRequest {
  return (client + n) % 2 ? { method: 'GET', path: '/auth/me', headers: { authorization: `Bearer ${token}` } } : { method: 'GET', path: '/auth/.well-known/jwks.json' };
}

/** Where a link leads: the cluster's Postgres (the same URL its replicas get), through the forwarder. */
function through(link: TcpLink): string {
  const url = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  url.port = String(link.port);
  return url.toString();
}

interface AccessLine {
  startMs: number;
  endMs: number;
  /** the port of every replica nginx tried ("127.0.0.1:p1, 127.0.0.1:p2" after a retry) */
  ports: string[];
  status: number;
}

/** The router's JSON access log: each request's time span and every replica nginx tried for it. */
function accessLog(): AccessLine[] {
  return readFileSync(cluster.ingress.accessLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msec: number; request_time: number; upstream_addr: string; status: number })
    .map((l) => ({ endMs: l.msec * 1000, startMs: (l.msec - l.request_time) * 1000, ports: [...l.upstream_addr.matchAll(/:(\d+)/g)].map((m) => m[1] as string), status: l.status }));
}

const servedBy = (records: RequestRecord[], replica: string, afterMs = 0) => records.some((r) => r.servedBy === replica && r.startMs > afterMs);

describe('live readiness: the kubelet’s probe with the timing of k8s/', { tags: ['timing'] }, () => {
  beforeAll(async () => {
    runDir = mkdtempSync(join(tmpdir(), 'anypod-cluster-readiness-'));
    const postgres = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
    victimLink = await tcpLink(Number(postgres.port), postgres.hostname);
    othersLink = await tcpLink(Number(postgres.port), postgres.hostname);
    cluster = await startTestCluster({
      services: ['auth'],
      replicas: REPLICAS,
      runDir,
      env: { LOG_LEVEL: 'warn' },
      // The first replica started is the victim, with a link of its own.
      envFor: ({ name }) => {
        victim ??= name;
        return { DATABASE_URL: through(victim === name ? victimLink : othersLink) };
      },
      onEvent: events.onEvent,
    });
    token = (await newAccount(cluster.ingressUrl, 'readiness')).accessToken;
  });

  afterAll(async () => {
    await cluster?.stop();
    await Promise.all([victimLink?.close(), othersLink?.close()]);
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  });

  it('a replica whose Postgres is cut leaves the rotation, gets no request until it is ready again, and comes back; the others answer everything', async () => {
    const name = victim as string;
    const before = cluster.replicas('auth').find((r) => r.name === name);
    expect(before).toMatchObject({ phase: 'ready', inRotation: true });
    const load = keepAliveLoad(cluster.ingressUrl, CLIENTS, requests);
    await eventually(`${name} serving before the cut`, async () => servedBy(load.records, name) || undefined, 30_000, 50);

    const unready = events.next('replica-unready', (e) => e.replica === name, { what: `${name} unready after its link was cut`, timeoutMs: UNREADY_WITHIN_MS });
    const removed = events.next('ingress-reloaded', (e) => !(e.endpoints.auth ?? []).includes(name), { what: `${name} out of the upstream`, timeoutMs: UNREADY_WITHIN_MS });
    const cutAt = Date.now();
    victimLink.set('refuse');
    // Both awaited at once: a test that fails on one leaves no rejection of the other unhandled.
    const [unreadyEvent, removedEvent] = await Promise.all([unready, removed]);
    const removedAt = removedEvent.atMs;
    // Out for longer than a probe period: the probes that keep failing keep it out.
    await sleep(periodMs + 500);
    const during = cluster.replicas('auth').find((r) => r.name === name);

    const readyAgain = events.next('replica-ready', (e) => e.replica === name, { what: `${name} ready again after its link came back`, timeoutMs: READY_WITHIN_MS });
    const readded = events.next('ingress-reloaded', (e) => (e.endpoints.auth ?? []).includes(name), { what: `${name} back in the upstream`, timeoutMs: READY_WITHIN_MS });
    const restoredAt = Date.now();
    victimLink.set('pass');
    const [readyAgainEvent, readdedEvent] = await Promise.all([readyAgain, readded]);
    // The new workers route to it from the reload's start, before the cluster knows it is live.
    const readdedAt = readdedEvent.atMs - readdedEvent.tookMs;
    await eventually(`${name} serving again`, async () => servedBy(load.records, name, readdedAt) || undefined, 30_000, 50);
    const result = await load.stop();

    const others = cluster.replicas('auth').map((r) => r.name).filter((n) => n !== name);
    const out = result.records.filter((r) => r.startMs > removedAt && r.endMs < readdedAt);
    const outLog = accessLog().filter((l) => l.startMs > removedAt && l.endMs < readdedAt);
    const port = String(before?.port);
    console.log(
      `${name}: link cut, unready ${unreadyEvent.atMs - cutAt} ms later (${unreadyEvent.failures} failed probes, last: ${unreadyEvent.reason}), ` +
        `out of the upstream for ${readdedAt - removedAt} ms (reloads ${removedEvent.tookMs} and ${readdedEvent.tookMs} ms), ready again ${readyAgainEvent.atMs - restoredAt} ms after the link came back. ` +
        `While out: ${out.length} requests (${outLog.length} in the router's log), ${out.filter((r) => r.servedBy === name).length} served by ${name}, ` +
        `${out.filter((r) => r.status !== 200).length} failed. Whole run: ${result.records.length} requests, ${result.failures.length} failed ` +
        `(${JSON.stringify(result.failures.map((f) => `${f.path} ${f.status || f.error} by ${f.servedBy}`).slice(0, 10))}); served: ${JSON.stringify(result.byReplica)}`,
    );

    // The manifest's timing: failureThreshold failures a period apart, so never sooner than
    // (failureThreshold - 1) periods after the cut, and the replica was unready and out meanwhile.
    expect(unreadyEvent.failures).toBe(timing.failureThreshold);
    expect(unreadyEvent.atMs - cutAt).toBeGreaterThanOrEqual((timing.failureThreshold - 1) * periodMs);
    expect(unreadyEvent.reason).toMatch(/answered 503/);
    expect(during).toMatchObject({ phase: 'unready', inRotation: false, pid: before?.pid });
    // Not one request reached it while it was out: no answer from it, no attempt in nginx's log.
    expect(out.length).toBeGreaterThanOrEqual(CLIENTS * 10);
    expect(out.filter((r) => r.servedBy === name)).toEqual([]);
    expect(outLog.length).toBeGreaterThanOrEqual(out.length);
    expect(outLog.filter((l) => l.ports.includes(port))).toEqual([]);
    // The others answered all of it, without a failure.
    expect(out.filter((r) => r.status !== 200)).toEqual([]);
    for (const other of others) expect(out.filter((r) => r.servedBy === other).length, other).toBeGreaterThan(0);
    // The only failures of the whole run: its own answers without a database, before the probe took it out.
    expect(result.failures.filter((f) => f.servedBy !== name || f.startMs > removedAt)).toEqual([]);
    // And the log shows it before and after, so the check above could see it.
    expect(accessLog().some((l) => l.ports.includes(port) && l.endMs < cutAt)).toBe(true);
    expect(accessLog().some((l) => l.ports.includes(port) && l.startMs > readdedAt)).toBe(true);
    // Back: the same process, never restarted or replaced.
    expect(readyAgainEvent.again).toBe(true);
    expect(cluster.replicas('auth').find((r) => r.name === name)).toMatchObject({ phase: 'ready', inRotation: true, pid: before?.pid });
    expect(isAlive(before?.pid as number)).toBe(true);
    expect(events.events.filter((e) => e.type === 'replica-exited' || e.type === 'replica-replaced')).toEqual([]);
  });

  it('with no ready replica the Ingress answers itself: 503, problem+json, Retry-After; all come back', async () => {
    const allOut = events.next('ingress-reloaded', (e) => (e.endpoints.auth ?? []).length === 0, { what: 'every auth replica out', timeoutMs: UNREADY_WITHIN_MS });
    for (const link of [victimLink, othersLink]) link.set('refuse');
    await allOut;
    expect(cluster.replicas('auth').map((r) => r.phase)).toEqual(Array.from({ length: REPLICAS }, () => 'unready'));
    const res = await fetch(`${cluster.ingressUrl}/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('x-served-by')).toBeNull();
    expect(await res.json()).toMatchObject({ status: 503, detail: 'no ready auth replica' });

    for (const link of [victimLink, othersLink]) link.set('pass');
    await cluster.waitForFullStrength(READY_WITHIN_MS);
    const me = await fetch(`${cluster.ingressUrl}/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(events.events.filter((e) => e.type === 'replica-exited' || e.type === 'replica-replaced')).toEqual([]);
  });
});

describe('the readiness timing comes from k8s/, with the kubelet’s defaults for what it leaves out', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'anypod-readiness-manifests-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** Each service's readiness probe, read from k8s/<service>.yaml without the cluster's loader. */
  const probeOf = (dir: string, service: string): Obj => {
    const docs = parseAllDocuments(readFileSync(join(dir, `${service}.yaml`), 'utf8')).map((d) => d.toJS() as Obj);
    const deployment = docs.find((o) => o?.kind === 'Deployment' && o.metadata.labels['app.kubernetes.io/component'] === service) as Obj;
    return (deployment.spec.template.spec.containers as Obj[]).find((c) => c.readinessProbe)?.readinessProbe as Obj;
  };

  /** A copy of k8s/ whose `service` readiness probe is changed by `change`. */
  const copyWith = (name: string, service: string, change: (probe: Obj) => void): string => {
    const dir = join(tmp, name);
    cpSync(K8S_DIR, dir, { recursive: true });
    const file = join(dir, `${service}.yaml`);
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Obj);
    for (const o of docs) if (o?.kind === 'Deployment') for (const c of o.spec.template.spec.containers as Obj[]) if (c.readinessProbe) change(c.readinessProbe);
    writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
    return dir;
  };

  it.each(SERVICE_NAMES)('%s: period, timeout and thresholds as its Deployment sets them', (service) => {
    const probe = probeOf(K8S_DIR, service);
    const expected = Object.fromEntries(Object.entries(KUBE_PROBE_DEFAULTS).map(([k, v]) => [k, probe[k] ?? v]));
    expect(loadManifests().service(service).readinessTiming).toEqual(expected);
    // k8s/ sets what the cluster's behaviour depends on; the defaults would be a silent change.
    expect(probe).toMatchObject({ periodSeconds: expect.any(Number), failureThreshold: expect.any(Number), timeoutSeconds: expect.any(Number) });
  });

  it('fields left out take the kubelet’s defaults; a bad one stops the cluster naming the field', () => {
    const bare = copyWith('bare', 'auth', (p) => {
      for (const key of Object.keys(KUBE_PROBE_DEFAULTS)) delete p[key];
    });
    expect(loadManifests(bare).service('auth').readinessTiming).toEqual({ periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 });
    const zero = copyWith('zero', 'auth', (p) => {
      p.periodSeconds = 0;
    });
    expect(() => loadManifests(zero)).toThrow(ManifestError);
    expect(() => loadManifests(zero)).toThrow(/auth\.yaml: Deployment [^:]+: spec\.template\.spec\.containers\[\d\]\.readinessProbe\.periodSeconds must be an integer in 1\.\.3600, not 0/);
  });
});

describe('a probe’s deadline counts the server’s time, not the prober’s own stalls', { tags: ['timing'] }, () => {
  it('an answer that arrived while the prober’s event loop was blocked past the deadline passes', async () => {
    // The server runs on an event loop of its own (a worker thread), as a replica does.
    const worker = new Worker(
      `const { createServer } = require('node:http');
       const { parentPort } = require('node:worker_threads');
       const server = createServer((_req, res) => setTimeout(() => res.end('ok'), 50));
       server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));`,
      { eval: true },
    );
    try {
      const port = await new Promise<number>((resolve) => worker.once('message', resolve));
      const timeoutMs = 200;
      const answer = httpGet(`http://127.0.0.1:${port}/readyz`, timeoutMs);
      // Once the request is out, this loop stalls for longer than the deadline (the load driver or
      // a test sharing the prober's loop); the server answers meanwhile, 50 ms after the request,
      // well within the deadline. The stall is in the loop's check phase (setImmediate), so the
      // next turn starts with the expired deadline, before the answer waiting in the socket is read.
      await new Promise<void>((resolve) => setTimeout(resolve, 20));
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          // Long enough for the answer to be in the socket even on a busy machine.
          const until = Date.now() + 1500;
          while (Date.now() < until) {
            // busy: nothing else runs on this loop
          }
          resolve();
        }),
      );
      await expect(answer).resolves.toMatchObject({ status: 200, body: 'ok' });
    } finally {
      await worker.terminate();
    }
  });
});
