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
// `up` starts a supervisor (`run`, detached; supervisor.ts) that owns the replicas, nginx, Jaeger and
// Prometheus, replaces replicas that die, and keeps <runDir>/cluster.json current (cluster-state.ts):
// pids, ports, URLs. `down` asks it to stop and then makes sure everything the state file lists is
// gone. The settings are read and checked by cli-settings.ts (a bad one: exit status 2).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseOrUsage } from '../config/cli-input.ts';
import { runDirFrom, settingsFromEnv } from './cli-settings.ts';
import { StateFile, supervisorLogOf, type ClusterState } from './cluster-state.ts';
import { followLog } from './follow-log.ts';
import { aliveAs, httpGet, isAlive, signalGroup } from './process-utils.ts';
import { REPO_ROOT } from './paths.ts';
import { supervise } from './supervisor.ts';
import { JAEGER_PROCESS } from '../observability/jaeger.ts';
import { PROMETHEUS_PROCESS } from '../observability/prometheus.ts';

const USAGE = 'usage: node --import tsx tools/cluster/cli.ts up|down|status|run   (settings: environment variables, see the top of tools/cluster/cli.ts)';

const SUPERVISOR = /cluster\/cli\.ts run/;
const REPLICA = /dist\/server\.js|src\/server\.ts/;
const NGINX = /nginx/;

/** Where this run's files are: every command works on one run dir (CLUSTER_RUN_DIR). */
interface Context {
  runDir: string;
  stateFile: StateFile;
  supervisorLog: string;
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

async function up(ctx: Context): Promise<number> {
  const existing = ctx.stateFile.read();
  if (existing && aliveAs(existing.supervisorPid, SUPERVISOR)) {
    process.stdout.write(`already running (supervisor pid ${existing.supervisorPid}); \`make down\` stops it\n\n`);
    if (existing.status === 'running') printCluster(existing);
    return 0;
  }
  if (existing) await down(ctx, true);
  if (!parseOrUsage(() => settingsFromEnv(process.env), USAGE)) return 2; // fail here, in the foreground, on a bad setting
  mkdirSync(join(ctx.runDir, 'logs'), { recursive: true });
  const log = openSync(ctx.supervisorLog, 'a');
  // Follow the supervisor's log from here on (earlier runs wrote above).
  const offset = statSync(ctx.supervisorLog).size;
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'run'], {
    cwd: REPO_ROOT,
    env: { ...process.env, CLUSTER_RUN_DIR: ctx.runDir },
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  child.unref();
  const pid = child.pid as number;
  process.stdout.write(`starting the local cluster (supervisor pid ${pid}, log ${ctx.supervisorLog})\n`);
  let pos = offset;
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    await sleep(250);
    pos = followLog(ctx.supervisorLog, pos);
    const state = ctx.stateFile.read();
    if (state?.supervisorPid === pid && state.status === 'running') {
      process.stdout.write('\n');
      printCluster(state);
      return 0;
    }
    if (state?.supervisorPid === pid && state.status === 'failed') {
      process.stderr.write(`\nthe cluster did not start: see above and ${ctx.supervisorLog}\n`);
      return 1;
    }
    if (!isAlive(pid)) {
      followLog(ctx.supervisorLog, pos);
      process.stderr.write(`\nthe supervisor exited before the cluster was running; see ${ctx.supervisorLog}\n`);
      return 1;
    }
  }
  process.stderr.write(`\nnot running after 300 s; stopping it. See ${ctx.supervisorLog}\n`);
  await down(ctx, true);
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

async function down(ctx: Context, quiet = false): Promise<number> {
  const say = (s: string) => quiet || process.stdout.write(`${s}\n`);
  const state = ctx.stateFile.read();
  if (!state) {
    say(`no cluster state at ${ctx.stateFile.path}: nothing to stop`);
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
  ctx.stateFile.remove();
  say('stopped');
  return 0;
}

async function status(ctx: Context): Promise<number> {
  const state = ctx.stateFile.read();
  if (!state) {
    process.stdout.write(`not running (no ${ctx.stateFile.path})\n`);
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

/** `run`: the supervisor, on the settings checked again here (`up` checked them before starting it). */
function run(ctx: Context): Promise<number> {
  const settings = parseOrUsage(() => settingsFromEnv(process.env), USAGE);
  return settings ? supervise(ctx.runDir, settings) : Promise.resolve(2);
}

const commands: Record<string, (ctx: Context) => Promise<number>> = { up, down: (ctx) => down(ctx), status, run };

async function main(): Promise<number> {
  const handler = commands[process.argv[2] ?? ''];
  if (!handler) {
    console.error(USAGE);
    return 2;
  }
  const runDir = parseOrUsage(() => runDirFrom(process.env), USAGE);
  if (runDir === undefined) return 2;
  return handler({ runDir, stateFile: new StateFile(runDir), supervisorLog: supervisorLogOf(runDir) });
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
