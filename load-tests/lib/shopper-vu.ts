// One k6 VU as one shopper of @anypod/scenarios: its first iteration signs in, every iteration
// is one round of shopping (with the shared retry policy: same Idempotency-Key, same bytes),
// and its last iteration measures what this VU alone can see — the pods that served its session
// and, with `readBack`, its own cart and orders checked against its own history by the same
// checker the proof uses. k6 VUs share no memory, so this is the whole check: every VU checks its
// own writes, and the thresholds add the VUs' findings up.
import exec from 'k6/execution';
import http from 'k6/http';
import { checkHistory, isWrite, type Operation } from '@anypod/scenarios';
import { createSessionPods, createShopper, readBack, serviceOf, type Observation, type SessionPods, type Shopper } from '@anypod/scenarios/journeys/index';
import { drive, type DriveOptions } from './drive.ts';
import * as m from './metrics.ts';
import { behaviour, type LoadShape, type RunSettings } from './profiles.ts';

export interface ShopperVuOptions {
  baseUrl: string;
  settings: RunSettings;
  shape: LoadShape;
  /** read back and check this VU's writes at its last iteration */
  readBack: boolean;
}

interface VuState {
  shopper: Shopper;
  operations: Operation[];
  pods: SessionPods;
  clock: () => number;
  signedIn: boolean;
}

// A failed request (k6's http_req_failed) is what the proof counts as a failed attempt: no answer,
// or a 5xx. A 4xx is the API's answer to the journey (409 key in flight, 412 stale ETag, 401 after
// a lost session), which the journey reads and the thresholds on its metrics judge.
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 499 }));

// Per VU (module scope is per VU in k6), per scenario: a VU of another scenario is another user.
const states = new Map<string, VuState>();

function stateOf(options: ShopperVuOptions): VuState {
  const key = exec.scenario.name;
  const existing = states.get(key);
  if (existing) return existing;
  const started = Date.now();
  const clock = (): number => Date.now() - started;
  const operations: Operation[] = [];
  const pods = createSessionPods();
  const state: VuState = {
    operations,
    pods,
    clock,
    signedIn: false,
    shopper: createShopper({
      vu: exec.vu.idInTest,
      runId: options.settings.runId,
      seed: options.settings.seed,
      clock,
      // k6's executor ends the run (iterations, maxDuration), not the journey.
      stopAtMs: Number.POSITIVE_INFINITY,
      record: (op) => {
        operations.push(op);
        m.operations.add(1, { kind: op.kind, outcome: op.outcome });
      },
      observe: (observation: Observation) => {
        pods.observed(observation);
        if (observation.type === 'session-lost') m.sessionsLost.add(1);
        else m.missingLines.add(1);
      },
      behaviour: behaviour(),
    }),
  };
  states.set(key, state);
  return state;
}

export function shopperIteration(options: ShopperVuOptions): void {
  const state = stateOf(options);
  const driveOptions: DriveOptions = {
    baseUrl: options.baseUrl,
    clock: state.clock,
    onSent: (request, sent) => {
      state.pods.answered(request, sent);
      const pod = sent.response.headers['x-served-by'];
      if (pod !== undefined && sent.response.status !== 0) m.answers.add(1, { service: serviceOf(request.path), pod });
    },
  };
  // A VU that could not sign in tries again next iteration; its read-back then says what is left.
  if (!state.signedIn) state.signedIn = drive(state.shopper.signIn(), driveOptions);
  if (state.signedIn) drive(state.shopper.round(), driveOptions);
  if (exec.vu.iterationInScenario === options.shape.iterations - 1) finish(state, options, driveOptions);
}

function finish(state: VuState, options: ShopperVuOptions, driveOptions: DriveOptions): void {
  const counts = state.pods.counts();
  for (const service of m.SERVICES) m.podsPerSession.add(counts[service] ?? 0, { service });
  m.sessionsLost.add(0);
  m.missingLines.add(0);
  if (!options.readBack) return;
  const writes = state.operations.filter(isWrite);
  m.writesAttempted.add(writes.length);
  m.writesAcknowledged.add(writes.filter((op) => op.outcome === 'ok').length);
  const result = drive(readBack(state.shopper.session), driveOptions);
  if (!result.ok) {
    console.error(`read-back of ${result.user} failed: ${result.reason} (its acknowledged writes count as lost)`);
    m.readbackFailures.add(1);
    m.usersChecked.add(0);
  } else {
    m.readbackFailures.add(0);
    m.usersChecked.add(1);
  }
  // A failed read-back is checked against an empty one: every acknowledged write counts as lost.
  const check = checkHistory(state.operations, result.ok ? [result.final] : []);
  m.writesLost.add(check.writes.lost);
  m.writesUnexpected.add(check.writes.unexpected);
  m.writesDuplicated.add(check.writes.duplicated);
  m.writesRecovered.add(check.writes.recovered);
  m.quantityViolations.add(check.quantityBoundViolations);
  for (const anomaly of check.anomalies.slice(0, 5)) console.warn(`${anomaly.type}: ${anomaly.detail}`);
}
