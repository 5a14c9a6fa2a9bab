// The local cluster from a terminal (make up / make down / make status).
//
//   node --import tsx tools/cluster/cli.ts up       start in the background, print the URLs
//   node --import tsx tools/cluster/cli.ts status   what runs, and whether it answers
//   node --import tsx tools/cluster/cli.ts down     stop it (idempotent)
//   node --import tsx tools/cluster/cli.ts run      the same cluster in the foreground (Ctrl-C stops it)
//
// Every replica's settings (count, env, probes, pre-stop, grace) come from the rendered manifests
// in k8s/ (manifests.ts); these override them for a run. Settings (environment): REPLICAS (per
// service, default from k8s/), INGRESS_PORT (default 8080, the cluster's own: local-env.ts),
// ROUTING (round-robin | sticky), STATE_STORE (shared | memory; default what k8s/ sets), SERVICES (comma list; default: every service already written),
// WATCH (1: replicas run the sources with node --watch, each restarting when its code changes —
// `make dev`), CLUSTER_RUN_DIR (default /tmp/anypod/cluster), MIGRATE (0 skips migrations: `make up` has run
// them in `prepare`), REPLICA_ENV (extra variables for every replica, space-separated K=V, e.g.
// "LOG_LEVEL=debug LOGIN_RATE_LIMIT_PER_MINUTE=600"; every client of a local cluster is
// 127.0.0.1, so they all share one per-IP login budget), OBSERVABILITY (0: no Jaeger and
// Prometheus; default on), PROMETHEUS_PORT (9090), JAEGER_PORT (16686), OTLP_PORT (4318),
// SCRAPE_INTERVAL_S (5).
//
// `up` starts a supervisor (`run`, detached) that owns the replicas, nginx, Jaeger and Prometheus,
// replaces replicas that die, and keeps <runDir>/cluster.json current: pids, ports, URLs. `down`
// asks it to stop and then makes sure everything the state file lists is gone.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RUN_DIR, startCluster } from './cluster.ts';
import { aliveAs, httpGet, isAlive, signalGroup } from './process-utils.ts';
import { DEFAULT_INGRESS_PORT } from './local-env.ts';
import { loadManifests } from './manifests.ts';
import { DEFAULT_OBSERVABILITY_PORTS } from './observability.ts';
import { REPO_ROOT, serviceExists } from './paths.ts';
import { JAEGER_PROCESS } from '../observability/jaeger.ts';
import { PROMETHEUS_PROCESS } from '../observability/prometheus.ts';
import type { Cluster, ClusterEvent, ClusterObservability, ObservabilitySettings, ReplicaInfo, Routing, ServiceName } from './types.ts';

interface ClusterState {
  status: 'starting' | 'running' | 'stopping' | 'failed';
  error?: string;
  supervisorPid: number;
  startedAt: string;
  updatedAt: string;
  runDir: string;
  ingressUrl?: string;
  ingress?: Cluster['ingress'];
  services: ServiceName[];
  routing: Routing;
  stateStore: 'shared' | 'memory';
  replicas: (ReplicaInfo & { url: string })[];
  /** Jaeger and Prometheus (unless OBSERVABILITY=0) */
  observability?: ClusterObservability;
  supervisorLog: string;
  events: string;
}

const runDir = resolve(process.env.CLUSTER_RUN_DIR || DEFAULT_RUN_DIR);
const statePath = join(runDir, 'cluster.json');
const supervisorLog = join(runDir, 'logs', 'supervisor.log');

function readState(): ClusterState | null {
  if (!existsSync(statePath)) return null;
  try {
    return JSON.parse(readFileSync(statePath, 'utf8')) as ClusterState;
  } catch {
    return null;
  }
}

function writeState(state: ClusterState): void {
  const tmp = `${statePath}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`);
  renameSync(tmp, statePath);
}

const SUPERVISOR = /cluster\/cli\.ts run/;
const REPLICA = /dist\/server\.js|src\/server\.ts/;
const NGINX = /nginx/;

function settingsFromEnv() {
  const manifests = loadManifests();
  const routing = (process.env.ROUTING || 'round-robin') as Routing;
  if (routing !== 'round-robin' && routing !== 'sticky') throw new Error(`ROUTING must be round-robin or sticky, not ${routing}`);
  // Unset: what k8s/ gives the replicas (the services' default, shared, when it sets nothing).
  const fromManifest = manifests.services[0]?.env.find((e) => e.name === 'STATE_STORE');
  const stateStore = (process.env.STATE_STORE || (fromManifest && 'value' in fromManifest ? fromManifest.value : 'shared')) as 'shared' | 'memory';
  if (stateStore !== 'shared' && stateStore !== 'memory') throw new Error(`STATE_STORE must be shared or memory, not ${stateStore}`);
  const replicas = process.env.REPLICAS ? Number(process.env.REPLICAS) : undefined;
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1 || replicas > 20)) throw new Error(`REPLICAS must be an integer in 1..20, not ${process.env.REPLICAS}`);
  const ingressPort = portFromEnv('INGRESS_PORT', DEFAULT_INGRESS_PORT);
  const known = manifests.services.map((s) => s.name);
  const services = process.env.SERVICES
    ? (process.env.SERVICES.split(',').map((s) => s.trim()).filter(Boolean) as ServiceName[])
    : known.filter((s) => serviceExists(s));
  for (const s of services) if (!known.includes(s)) throw new Error(`SERVICES: ${s} is not a service of k8s/ (${known.join(', ')})`);
  const skipped = known.filter((s) => !services.includes(s));
  const env: Record<string, string> = {};
  for (const pair of (process.env.REPLICA_ENV ?? '').split(/\s+/).filter(Boolean)) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) throw new Error(`REPLICA_ENV: expected NAME=value pairs separated by spaces, got ${pair}`);
    env[match[1] as string] = match[2] as string;
  }
  const counts = services.map((s) => `${s}×${replicas ?? manifests.service(s).replicas}`).join(' ');
  return { routing, stateStore, replicas, counts, ingressPort, services, skipped, env, migrate: process.env.MIGRATE !== '0', watch: process.env.WATCH === '1', observability: observabilityFromEnv() };
}

function portFromEnv(name: string, fallback: number): number {
  const value = process.env[name];
  const port = value ? Number(value) : fallback;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number (0: a free one), not ${value}`);
  return port;
}

/** The chart's alert rules, when they exist: Prometheus's /alerts then shows them on the local cluster too. */
const RULES = join(REPO_ROOT, 'helm/anypod/rules/anypod.rules.yaml');

function observabilityFromEnv(): ObservabilitySettings | undefined {
  const on = process.env.OBSERVABILITY ?? '1';
  if (on !== '0' && on !== '1') throw new Error(`OBSERVABILITY must be 0 or 1, not ${on}`);
  if (on === '0') return undefined;
  const interval = Number(process.env.SCRAPE_INTERVAL_S || 5);
  if (!Number.isInteger(interval) || interval < 1 || interval > 60) throw new Error(`SCRAPE_INTERVAL_S must be an integer in 1..60, not ${process.env.SCRAPE_INTERVAL_S}`);
  return {
    prometheusPort: portFromEnv('PROMETHEUS_PORT', DEFAULT_OBSERVABILITY_PORTS.prometheus),
    jaegerPort: portFromEnv('JAEGER_PORT', DEFAULT_OBSERVABILITY_PORTS.jaeger),
    otlpPort: portFromEnv('OTLP_PORT', DEFAULT_OBSERVABILITY_PORTS.otlp),
    scrapeIntervalSeconds: interval,
    ruleFiles: existsSync(RULES) ? [RULES] : [],
  };
}

function line(text: string): void {
  process.stdout.write(`${new Date().toISOString()} ${text}\n`);
}

function describeEvent(e: ClusterEvent): string {
  switch (e.type) {
    case 'replica-started':
      return `${e.replica} started on 127.0.0.1:${e.port} (pid ${e.pid})`;
    case 'replica-ready':
      return e.again ? `${e.replica} ready again: back in rotation` : `${e.replica} ready`;
    case 'replica-unready':
      return `${e.replica} unready after ${e.failures} failed readiness probes (${e.reason}): out of rotation`;
    case 'replica-deleting':
      return `${e.replica} deleting (${e.kill})`;
    case 'replica-exited':
      return `${e.replica} exited (code ${e.code}, signal ${e.signal})`;
    case 'replica-replaced':
      return `${e.replica} replaced by ${e.replacement}`;
    case 'ingress-reloaded':
      return `ingress generation ${e.generation} live in ${e.tookMs} ms: ${Object.entries(e.endpoints).map(([s, names]) => `${s}=[${(names ?? []).join(' ')}]`).join(' ')}`;
  }
}

/** `run`: the supervisor. Owns the cluster until SIGTERM/SIGINT/SIGHUP. */
async function run(): Promise<number> {
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const settings = settingsFromEnv();
  const state: ClusterState = {
    status: 'starting',
    supervisorPid: process.pid,
    startedAt: new Date().toISOString(),
    updatedAt: '',
    runDir,
    services: settings.services,
    routing: settings.routing,
    stateStore: settings.stateStore,
    replicas: [],
    supervisorLog,
    events: join(runDir, 'events.jsonl'),
  };
  writeState(state);
  if (settings.skipped.length) line(`not started (not written yet or not selected): ${settings.skipped.join(', ')}`);
  let cluster: Cluster | undefined;
  let stopping: Promise<void> | undefined;
  const refresh = () => {
    if (!cluster || state.status === 'failed') return;
    state.ingressUrl = cluster.ingressUrl;
    state.ingress = cluster.ingress;
    state.replicas = cluster.replicas().map((r) => ({ ...r, url: `http://127.0.0.1:${r.port}` }));
    state.observability = cluster.observability;
    writeState(state);
  };
  const stop = (signal: string) => {
    stopping ??= (async () => {
      line(`${signal}: stopping the cluster`);
      state.status = 'stopping';
      writeState(state);
      await cluster?.stop();
      rmSync(statePath, { force: true });
      line('stopped');
    })();
    return stopping;
  };
  let signalled: string | undefined;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      signalled = signal;
      if (cluster) void stop(signal).then(() => process.exit(0));
    });
  }
  try {
    const runs = settings.watch ? 'from source, restarting on change' : 'production build';
    line(`starting ${settings.services.join(', ')} (${settings.counts} replicas, ${runs}, ${settings.routing}, STATE_STORE=${settings.stateStore}) in ${runDir}`);
    if (settings.watch) line(`replica logs: tail -f ${join(runDir, 'logs')}/*.log`);
    if (settings.observability) line(`with Jaeger and Prometheus (OBSERVABILITY=0 runs without them) in ${join(runDir, 'observability')}`);
    cluster = await startCluster({
      services: settings.services,
      replicas: settings.replicas,
      routing: settings.routing,
      stateStore: settings.stateStore,
      ingressPort: settings.ingressPort,
      runDir,
      env: settings.env,
      migrate: settings.migrate,
      watch: settings.watch,
      observability: settings.observability,
      handleSignals: false,
      onEvent: (e) => {
        line(describeEvent(e));
        refresh();
      },
    });
  } catch (error) {
    line(`failed: ${(error as Error).message}`);
    writeState({ ...state, status: 'failed', error: (error as Error).message });
    return 1;
  }
  if (signalled) {
    await stop(signalled);
    return 0;
  }
  state.status = 'running';
  refresh();
  line(`running: ingress ${cluster.ingressUrl}`);
  await new Promise<never>(() => {
    // until a signal: the handlers above stop the cluster and exit
  });
  return 0;
}

function printCluster(state: ClusterState): void {
  const out = (s = '') => process.stdout.write(`${s}\n`);
  const url = state.ingressUrl as string;
  out(`anypod local cluster: ${state.services.join(', ')} behind nginx (${state.routing}, STATE_STORE=${state.stateStore})`);
  out(`  ingress        ${url}    access log (JSON): ${state.ingress?.accessLog}`);
  for (const r of state.replicas) out(`  ${r.name.padEnd(14)} ${r.url}  pid ${r.pid}${r.inRotation ? '' : `  (${r.phase}, not in rotation)`}  log ${r.logFile}`);
  const obs = state.observability;
  if (obs) {
    // Debian's Prometheus serves its classic UI (the newer one is not packaged): /targets is /classic/targets there.
    out(`  prometheus     ${obs.prometheusUrl}   a target per replica, labelled namespace, pod, container: ${obs.prometheusUrl}/classic/targets`);
    // Jaeger built from its Go module has no UI assets (they come from the jaeger-ui repository's npm build): its page is a placeholder.
    out(`  jaeger         ${obs.jaegerUrl}   traces through the query API, e.g. ${obs.jaegerUrl}/api/services (the replicas export to ${obs.otlpUrl})`);
  }
  out(`  run dir        ${state.runDir}   (cluster.json, events.jsonl, logs/, nginx/${obs ? ', observability/' : ''})`);
  out();
  out('Try:');
  const email = 'me@example.test';
  const creds = `'{"email":"${email}","password":"correct horse battery staple"}'`;
  if (state.services.includes('auth')) {
    out(`  for i in 1 2 3 4 5 6; do curl -s -o /dev/null -w '%header{x-served-by}\\n' ${url}/auth/.well-known/jwks.json; done`);
    out(`  curl -si -X POST ${url}/auth/register -H 'content-type: application/json' -d ${creds}`);
    out(`  TOKEN=$(curl -s -X POST ${url}/auth/login -H 'content-type: application/json' -d ${creds} | sed -E 's/.*"accessToken":"([^"]+)".*/\\1/')`);
    out(`  curl -si ${url}/auth/me -H "authorization: Bearer $TOKEN"`);
  }
  if (state.services.includes('catalog')) out(`  curl -si '${url}/catalog/products?pageSize=5'`);
  if (state.services.includes('cart')) out(`  curl -si ${url}/cart -H "authorization: Bearer $TOKEN"`);
  const first = state.replicas[0];
  if (first) out(`  curl -si ${first.url}/readyz        # one replica directly`);
  if (obs) {
    out(`  curl -s '${obs.prometheusUrl}/api/v1/query' --data-urlencode 'query=sum by (pod) (rate(http_request_duration_seconds_count[1m]))'`);
    out(`  curl -s '${obs.jaegerUrl}/api/traces?service=cart&limit=1'   # a trace, with each span's k8s.pod.name`);
  }
  out();
  out('Stop it with: make down   (status: make status)');
}

/** Prints what the supervisor logs from `offset` on; returns the new offset. */
function follow(path: string, offset: number): number {
  if (!existsSync(path)) return offset;
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    let pos = offset;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, pos);
      if (n <= 0) break;
      process.stdout.write(buffer.subarray(0, n));
      pos += n;
    }
    return pos;
  } finally {
    closeSync(fd);
  }
}

async function up(): Promise<number> {
  const existing = readState();
  if (existing && aliveAs(existing.supervisorPid, SUPERVISOR)) {
    process.stdout.write(`already running (supervisor pid ${existing.supervisorPid}); \`make down\` stops it\n\n`);
    if (existing.status === 'running') printCluster(existing);
    return 0;
  }
  if (existing) await down(true);
  settingsFromEnv(); // fail here, in the foreground, on a bad setting
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const log = openSync(supervisorLog, 'a');
  // Follow the supervisor's log from here on (earlier runs wrote above).
  const offset = statSync(supervisorLog).size;
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'run'], {
    cwd: REPO_ROOT,
    env: { ...process.env, CLUSTER_RUN_DIR: runDir },
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  child.unref();
  const pid = child.pid as number;
  process.stdout.write(`starting the local cluster (supervisor pid ${pid}, log ${supervisorLog})\n`);
  let pos = offset;
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    await sleep(250);
    pos = follow(supervisorLog, pos);
    const state = readState();
    if (state?.supervisorPid === pid && state.status === 'running') {
      process.stdout.write('\n');
      printCluster(state);
      return 0;
    }
    if (state?.supervisorPid === pid && state.status === 'failed') {
      process.stderr.write(`\nthe cluster did not start: see above and ${supervisorLog}\n`);
      return 1;
    }
    if (!isAlive(pid)) {
      follow(supervisorLog, pos);
      process.stderr.write(`\nthe supervisor exited before the cluster was running; see ${supervisorLog}\n`);
      return 1;
    }
  }
  process.stderr.write(`\nnot running after 300 s; stopping it. See ${supervisorLog}\n`);
  await down(true);
  return 1;
}

async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(isAlive);
  while (left.length && Date.now() < deadline) {
    await sleep(100);
    left = left.filter(isAlive);
  }
  return left;
}

async function down(quiet = false): Promise<number> {
  const say = (s: string) => quiet || process.stdout.write(`${s}\n`);
  const state = readState();
  if (!state) {
    say(`no cluster state at ${statePath}: nothing to stop`);
    return 0;
  }
  if (aliveAs(state.supervisorPid, SUPERVISOR)) {
    say(`stopping the supervisor (pid ${state.supervisorPid}): replicas get SIGTERM, nginx quits${state.observability ? ', then Prometheus and Jaeger stop' : ''}`);
    process.kill(state.supervisorPid, 'SIGTERM');
    const left = await waitGone([state.supervisorPid], 60_000);
    if (left.length) {
      say('the supervisor did not stop within 60 s: killing it');
      signalGroup(state.supervisorPid, 'SIGKILL');
    }
  }
  // Whatever the state file still lists (the supervisor was killed, or did not finish).
  const leftovers = [
    ...state.replicas.filter((r) => aliveAs(r.pid, REPLICA)).map((r) => r.pid),
    ...(state.ingress?.pids ?? []).filter((p) => aliveAs(p, NGINX)),
    ...[state.observability?.pids.prometheus].filter((p) => aliveAs(p, PROMETHEUS_PROCESS)),
    ...[state.observability?.pids.jaeger].filter((p) => aliveAs(p, JAEGER_PROCESS)),
  ];
  if (leftovers.length) {
    say(`stopping ${leftovers.length} leftover process(es): ${leftovers.join(' ')}`);
    for (const pid of leftovers) signalGroup(pid, 'SIGTERM');
    for (const pid of await waitGone(leftovers, 30_000)) signalGroup(pid, 'SIGKILL');
  }
  rmSync(statePath, { force: true });
  say('stopped');
  return 0;
}

async function status(): Promise<number> {
  const state = readState();
  if (!state) {
    process.stdout.write(`not running (no ${statePath})\n`);
    return 3;
  }
  const supervisor = aliveAs(state.supervisorPid, SUPERVISOR);
  process.stdout.write(`supervisor pid ${state.supervisorPid}: ${supervisor ? state.status : 'NOT RUNNING'}${state.error ? ` — ${state.error}` : ''}\n`);
  if (state.ingressUrl) {
    const ingress = await httpGet(`${state.ingressUrl}/_cluster/generation`, 1000).then(
      (r) => `answers (config generation ${r.body})`,
      (e: Error) => `DOWN (${e.message})`,
    );
    process.stdout.write(`ingress ${state.ingressUrl}: ${ingress}\n`);
  }
  let healthy = supervisor && state.status === 'running';
  for (const r of state.replicas) {
    const ready = await httpGet(`${r.url}/readyz`, 1000).then(
      (res) => `/readyz ${res.status}`,
      () => 'not answering',
    );
    const alive = aliveAs(r.pid, REPLICA);
    if (!alive || r.phase === 'unready' || (r.phase === 'ready' && !ready.endsWith('200'))) healthy = false;
    process.stdout.write(`  ${r.name.padEnd(14)} ${r.url}  pid ${r.pid} ${alive ? 'alive' : 'GONE'}  ${r.phase}${r.inRotation ? ', in rotation' : ''}  ${ready}\n`);
  }
  const obs = state.observability;
  if (obs) {
    const answers = (url: string) =>
      httpGet(url, 1000).then(
        (res) => (res.status === 200 ? 'ready' : `answers ${res.status}`),
        () => 'not answering',
      );
    const parts = [
      { name: 'prometheus', url: obs.prometheusUrl, pid: obs.pids.prometheus, alive: aliveAs(obs.pids.prometheus, PROMETHEUS_PROCESS), ready: await answers(`${obs.prometheusUrl}/-/ready`) },
      { name: 'jaeger', url: obs.jaegerUrl, pid: obs.pids.jaeger, alive: aliveAs(obs.pids.jaeger, JAEGER_PROCESS), ready: await answers(`${obs.jaegerUrl}/api/services`) },
    ];
    for (const p of parts) {
      if (!p.alive || p.ready !== 'ready') healthy = false;
      process.stdout.write(`${p.name} ${p.url}: pid ${p.pid} ${p.alive ? 'alive' : 'GONE'}  ${p.ready}\n`);
    }
  }
  return healthy ? 0 : 1;
}

const commands: Record<string, () => Promise<number>> = { up, down: () => down(), status, run };
const command = process.argv[2] ?? '';
const handler = commands[command];
if (!handler) {
  process.stderr.write('usage: node --import tsx tools/cluster/cli.ts up|down|status|run\n');
  process.exit(2);
}
handler().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
