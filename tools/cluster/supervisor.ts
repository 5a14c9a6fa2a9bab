// The CLI's supervisor (`cli.ts run`, started detached by `make up`, in the foreground by `make
// dev`): starts the cluster, logs every event as a line, keeps <runDir>/cluster.json current, and
// owns everything (replicas, nginx, Jaeger, Prometheus) until SIGTERM/SIGINT/SIGHUP stops it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterSettings } from './cli-settings.ts';
import { startCluster } from './cluster.ts';
import { StateFile, supervisorLogOf, type ClusterState } from './cluster-state.ts';
import type { Cluster, ClusterEvent } from './types.ts';

function line(text: string): void {
  process.stdout.write(`${new Date().toISOString()} ${text}\n`);
}

export function describeEvent(e: ClusterEvent): string {
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

/** `run`: the supervisor. Owns the cluster until SIGTERM/SIGINT/SIGHUP; resolves only on a failed start. */
export async function supervise(runDir: string, settings: ClusterSettings): Promise<number> {
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  const stateFile = new StateFile(runDir);
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
    supervisorLog: supervisorLogOf(runDir),
    events: join(runDir, 'events.jsonl'),
  };
  stateFile.write(state);
  if (settings.skipped.length) line(`not started (not written yet or not selected): ${settings.skipped.join(', ')}`);
  let cluster: Cluster | undefined;
  let stopping: Promise<void> | undefined;
  const refresh = () => {
    if (!cluster || state.status === 'failed') return;
    state.ingressUrl = cluster.ingressUrl;
    state.ingress = cluster.ingress;
    state.replicas = cluster.replicas().map((r) => ({ ...r, url: `http://127.0.0.1:${r.port}` }));
    state.observability = cluster.observability;
    stateFile.write(state);
  };
  const stop = (signal: string) => {
    stopping ??= (async () => {
      line(`${signal}: stopping the cluster`);
      state.status = 'stopping';
      stateFile.write(state);
      await cluster?.stop();
      stateFile.remove();
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
    stateFile.write({ ...state, status: 'failed', error: (error as Error).message });
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
