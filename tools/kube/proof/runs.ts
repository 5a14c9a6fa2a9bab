// The runs of `make demo-kube`: the proof's journeys and checks on real pods. Stateless runs must
// lose nothing while pods are deleted the ways users delete them; the stateful one (the release
// with STATE_STORE=memory) shows what the same deletions do to state kept in pods.
import { join } from 'node:path';
import { OPERATION_KINDS } from '../../cluster/types.ts';
import { REPO_ROOT } from '../../cluster/paths.ts';
import type { RunCatalogue } from '../../proof/cli.ts';
import type { RunSpec } from '../../proof/runs.ts';

export const KUBE_RUNS: readonly RunSpec[] = [
  // kubectl delete pod: the pod's grace period, the chart's pre-stop, endpoint removal through
  // EndpointSlices and the gateway; like the local graceful run, not one attempt may fail.
  { name: 'kube-graceful', mode: 'shared', kill: 'graceful', routing: 'round-robin', expectation: 'pass' },
  // --grace-period=0 --force: gone from the API at once; clients retry what failed.
  { name: 'kube-force', mode: 'shared', kill: 'force', routing: 'round-robin', expectation: 'pass' },
  // Valkey and Postgres pods deleted, rollout restart, helm upgrade: each waits for the previous
  // one, and rollouts replace nine pods, so this run shops for longer.
  { name: 'kube-operations', mode: 'shared', kill: 'operations', routing: 'round-robin', expectation: 'pass', durationS: 240, minKills: OPERATION_KINDS.length },
  // The contrast: the same graceful deletions with each pod keeping carts and sessions in memory.
  { name: 'kube-stateful', mode: 'memory', kill: 'graceful', routing: 'round-robin', expectation: 'demonstrates-failure' },
];

export const KUBE_CATALOGUE: RunCatalogue = {
  runs: KUBE_RUNS,
  aliases: { graceful: 'kube-graceful', force: 'kube-force', operations: 'kube-operations', ops: 'kube-operations', stateful: 'kube-stateful', memory: 'kube-stateful' },
  outDir: join(REPO_ROOT, 'out/proof-kube'),
};
