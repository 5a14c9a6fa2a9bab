// The `operations` run on Kubernetes: the pod replacements a cluster sees most in practice, made
// under load one after another, each waited for before the next: the Valkey pod deleted, the
// Postgres pod deleted (its data stays on the volume; writes in that window answer 503 and are
// retried), `kubectl rollout restart` of every Deployment, and `helm upgrade` from the previous
// chart version (from git history) to this one — the release is moved to that version first,
// under load too, since it is installed at this one. Each is one record in the run's history:
// when it began, when the old pods were gone and when the replacements were serving again.
import type { V1Pod } from '@kubernetes/client-node';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KILL_LABELS, OPERATION_KINDS, type OperationKind } from '../../cluster/types.ts';
import type { Killer, KillerOptions, KillRecord } from '../../proof/killer.ts';
import { CHART_DIR, type KubeCluster } from './kube-cluster.ts';
import { helm, kubectl } from './kube-env.ts';
import { currentChartVersion, previousChart } from './previous-chart.ts';

/** How long one operation may take, rollouts included (three Deployments, one pod at a time each). */
const OPERATION_TIMEOUT_MS = 600_000;

const uidOf = (pod: V1Pod): string => pod.metadata?.uid ?? '';
const ready = (pod: V1Pod): boolean => !pod.metadata?.deletionTimestamp && (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);

export function startOperations(cluster: KubeCluster, options: KillerOptions, kinds: readonly OperationKind[] = OPERATION_KINDS): Killer {
  const { clock } = options;
  const log = options.log ?? (() => undefined);
  const records: KillRecord[] = [];
  const { namespace, release, kubeconfig } = cluster.target;
  let stopped = false;
  /** temporary folders (the exported previous chart, values files), removed when the run stops */
  const scratch: string[] = [];
  /** the release's user-supplied values before the downgrade, restored by the upgrade */
  let releaseValues: Values | undefined;
  const userValues = async (): Promise<Values> => JSON.parse((await helm(['get', 'values', release, '--namespace', namespace, '--output', 'json'], { kubeconfig })).stdout) as Values;

  /** Deletes the component's pod and waits until a new one (another UID: a StatefulSet keeps the name) is ready. */
  async function replacePod(component: 'valkey' | 'postgres', record: KillRecord): Promise<void> {
    const old = cluster.podsOf(component).find(ready);
    if (!old?.metadata?.name) throw new Error(`no ready ${component} pod to delete`);
    record.replica = old.metadata.name;
    const before = uidOf(old);
    await cluster.deletePod(old.metadata.name);
    const deadline = Date.now() + OPERATION_TIMEOUT_MS;
    while (cluster.podsOf(component).some((p) => uidOf(p) === before)) {
      if (Date.now() > deadline) throw new Error(`${old.metadata.name} was not gone after ${OPERATION_TIMEOUT_MS / 1000} s`);
      await sleep(100);
    }
    record.exitedAtMs = clock();
    for (;;) {
      const fresh = cluster.podsOf(component).find((p) => uidOf(p) !== before && ready(p));
      if (fresh?.metadata?.name) {
        record.replacement = `${fresh.metadata.name} (${uidOf(fresh).slice(0, 8)})`;
        break;
      }
      if (Date.now() > deadline) throw new Error(`no ready ${component} pod ${OPERATION_TIMEOUT_MS / 1000} s after deleting ${old.metadata.name}`);
      await sleep(100);
    }
    record.replacementReadyAtMs = clock();
  }

  const deployments = ['deployment', '--namespace', namespace, '--selector', `app.kubernetes.io/instance=${release}`];
  /** Waits for every Deployment's rollout, then for the gateway to route to the new pods only. */
  async function rolledOut(record: KillRecord): Promise<void> {
    await kubectl(['rollout', 'status', ...deployments, '--timeout', `${OPERATION_TIMEOUT_MS / 1000}s`], { kubeconfig, timeoutMs: OPERATION_TIMEOUT_MS + 10_000 });
    record.exitedAtMs = clock();
    await cluster.waitForFullStrength(OPERATION_TIMEOUT_MS);
    record.replacementReadyAtMs = clock();
  }

  async function perform(kind: OperationKind): Promise<void> {
    const record: KillRecord = { atMs: clock(), kind, service: 'release', replica: 'every Deployment' };
    records.push(record);
    log(`${fmt(record.atMs)}  ${KILL_LABELS[kind].long}`);
    try {
      switch (kind) {
        case 'valkey-delete':
          record.service = 'valkey';
          await replacePod('valkey', record);
          break;
        case 'postgres-delete':
          record.service = 'postgres';
          await replacePod('postgres', record);
          break;
        case 'rollout-restart':
          await kubectl(['rollout', 'restart', ...deployments], { kubeconfig });
          await rolledOut(record);
          break;
        case 'chart-downgrade': {
          // The chart as it was at its previous version, with this version's images (the
          // previous images are not built here): a rollout by a different chart. The release's
          // own values are kept to be restored by the upgrade back.
          const previous = previousChart();
          scratch.push(previous.root);
          record.replica = `chart ${previous.version} (${previous.commit.slice(0, 8)})`;
          releaseValues = await userValues();
          const schema = JSON.parse(await readFile(join(previous.dir, 'values.schema.json'), 'utf8')) as Schema;
          const values = valuesForPreviousChart(releaseValues, currentChartVersion(), schema, log);
          await helm(['upgrade', release, previous.dir, '--namespace', namespace, '--reset-values', '--values', await writeValues(values, 'previous', scratch), '--timeout', '10m'], { kubeconfig });
          await rolledOut(record);
          break;
        }
        case 'helm-upgrade':
          record.replica = `chart ${currentChartVersion()}`;
          // Back to exactly the values the release had before the downgrade.
          await helm(['upgrade', release, CHART_DIR, '--namespace', namespace, '--reset-values', '--values', await writeValues(releaseValues ?? (await userValues()), 'current', scratch), '--timeout', '10m'], { kubeconfig });
          await rolledOut(record);
          break;
      }
      const ready = record.replacementReadyAtMs === undefined ? '' : `, serving again after ${fmt(record.replacementReadyAtMs - record.atMs)}`;
      log(`${fmt(clock())}  ${KILL_LABELS[kind].short} done${ready}`);
    } catch (error) {
      record.error = (error as Error).message.split('\n')[0];
      log(`${fmt(clock())}  ${KILL_LABELS[kind].short} failed: ${record.error}`);
    }
  }

  let wake: (() => void) | undefined;
  function sleepUntil(atMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, atMs - clock()));
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  const loop = (async () => {
    let at = options.firstAtMs;
    for (const kind of kinds) {
      if (stopped) break;
      await sleepUntil(at);
      if (stopped || clock() > options.untilMs) break;
      await perform(kind);
      // The next one a full interval after this one ended: each is measured on a settled release.
      at = Math.max(at + options.everyMs, clock() + options.everyMs);
    }
  })();

  return {
    onEvent() {
      // Readiness is read from the API (pods and the gateway's routes), not from events.
    },
    async stop() {
      stopped = true;
      wake?.();
      // An operation under way finishes: a half-done rollout is not a state to read back from.
      await loop;
      await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
      return records;
    },
  };
}

type Values = Record<string, unknown> & { networkPolicy?: { enabled?: boolean; dnsCIDRs?: string[] }; image?: Record<string, unknown> };

/** The part of a values.schema.json this needs: objects that list their properties and may refuse others. */
interface Schema {
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
}

/**
 * `values` without the keys `schema` does not know (where it refuses unknown ones), and the
 * dotted paths of what was dropped: keys a newer chart added that an older chart's schema refuses.
 */
export function withoutUnknownKeys(values: Record<string, unknown>, schema: Schema, path = ''): { values: Record<string, unknown>; dropped: string[] } {
  const kept: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const at = path ? `${path}.${key}` : key;
    const known = schema.properties?.[key];
    if (!known) {
      if (schema.additionalProperties === false) dropped.push(at);
      else kept[key] = value;
      continue;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && known.properties) {
      const inner = withoutUnknownKeys(value as Record<string, unknown>, known, at);
      kept[key] = inner.values;
      dropped.push(...inner.dropped);
    } else kept[key] = value;
  }
  return { values: kept, dropped };
}

/**
 * The release's values made valid for the previous chart (whose schema is `schema`): its images
 * are this version's, and every key it does not know is left out, said in the log (e.g. 0.3.0's
 * observability.otlpEndpoint: while the previous chart runs, the pods send no traces). When that
 * includes `networkPolicy.dnsCIDRs` (new in 0.2.0), the previous chart's DNS policy cannot allow
 * a DNS outside any pod (CoreDNS runs on the node here), so its NetworkPolicies are off while it
 * runs; the upgrade back turns them on again.
 */
export function valuesForPreviousChart(values: Values, imageTag: string, schema: Schema, log: (line: string) => void = () => undefined): Values {
  const { values: known, dropped } = withoutUnknownKeys(structuredClone(values), schema);
  const previous = known as Values;
  previous.image = { ...previous.image, tag: imageTag };
  for (const key of dropped) log(`  the previous chart does not know ${key}: left out while it runs`);
  if (dropped.includes('networkPolicy.dnsCIDRs')) {
    previous.networkPolicy = { ...previous.networkPolicy, enabled: false };
    log('  without networkPolicy.dnsCIDRs its NetworkPolicies would block DNS: they are off until the upgrade back');
  }
  return previous;
}

async function writeValues(values: Values, name: string, scratch: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'anypod-values-'));
  scratch.push(dir);
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify(values));
  return path;
}

function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
