// The run catalogue: which runs `make demo` makes and what each one is (architecture.md, "The
// proof"). A run is named, states where the state lives (mode), how replicas are deleted and
// routed, and whether it must pass the stateless checks or demonstrate the stateful failure.
import type { ShopperBehaviour } from '@anypod/scenarios/journeys/index';
import type { KillType, Routing, ServiceName, StateStore } from '../cluster/types.ts';
import type { RunReport } from './report-types.ts';

export interface RunSpec {
  /** e.g. "stateless-graceful" */
  name: string;
  mode: StateStore;
  kill: KillType;
  routing: Routing;
  expectation: RunReport['expectation'];
  /**
   * What the cluster really runs when it differs from `mode`. Only the mutation tests set these:
   * a run that claims to be stateless but runs the in-memory write path, or a cart build without
   * idempotency claims (an entry file from the service's test folder), must fail its checks.
   */
  clusterStateStore?: StateStore;
  clusterEntries?: Partial<Record<ServiceName, string>>;
  /** the services to delete from, in turn (default: mostly cart and auth, the deletion policy, cluster/deletion-policy.ts) */
  rotation?: ServiceName[];
  /** how the shoppers behave in this run, when it differs from the default */
  behaviour?: Partial<ShopperBehaviour>;
  /** load duration of this run, when it needs longer than the others (seconds) */
  durationS?: number;
  /** deletions this run must show, when not the proof's minimum (a pass run) or 1 (a demonstration) */
  minKills?: number;
}

/** The runs of `make demo`, in order (architecture.md, "The proof"). */
export const PROOF_RUNS: readonly RunSpec[] = [
  { name: 'stateless-graceful', mode: 'shared', kill: 'graceful', routing: 'round-robin', expectation: 'pass' },
  { name: 'stateless-sigkill', mode: 'shared', kill: 'sigkill', routing: 'round-robin', expectation: 'pass' },
  // Replicas that hang, come back and finish what they had accepted after clients retried it
  // elsewhere: every late write must replay its key's outcome, never apply a second time.
  { name: 'stateless-hang', mode: 'shared', kill: 'hang', routing: 'round-robin', expectation: 'pass' },
  // The stateful runs delete gracefully on purpose: even the kindest delete loses in-memory state.
  { name: 'stateful-round-robin', mode: 'memory', kill: 'graceful', routing: 'round-robin', expectation: 'demonstrates-failure' },
  { name: 'stateful-sticky', mode: 'memory', kill: 'graceful', routing: 'sticky', expectation: 'demonstrates-failure' },
];

