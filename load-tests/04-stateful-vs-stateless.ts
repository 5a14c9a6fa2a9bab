// 04 — stateful vs stateless: the pod-deletion journeys against two releases at once, the
// stateless one (STATELESS_URL) and one installed with config.stateStore=memory (STATEFUL_URL),
// while you delete pods of both. The run passes when the contrast shows: the stateless release
// loses nothing and serves every session from several pods, and the stateful one loses writes
// (carts kept in pod memory vanish with the pod, or live on a pod other than the one that reads).
//
//   k6 run -e STATELESS_URL=http://localhost:8080 -e STATEFUL_URL=http://localhost:8081 out/load-tests/04-stateful-vs-stateless.js
import { LOAD_METRICS } from '@anypod/scenarios/load-metrics';
import { loadShape, runSettings, type RunSettings } from './lib/profiles.ts';
import { shopperIteration } from './lib/shopper-vu.ts';
import { summaryFiles } from './lib/summary.ts';
import { everyUserChecked, FEW_FAILED_REQUESTS, NOTHING_LOST, podsPerSession, SESSIONS_KEPT, tagged } from './lib/thresholds.ts';

const shape = loadShape('pod-deletion');

function url(name: string): string {
  const raw = (__ENV[name] || '').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(raw)) throw new Error(`${name}=${__ENV[name] ?? ''}: set it to where that release's gateway answers`);
  return raw;
}
const STATELESS_URL = url('STATELESS_URL');
const STATEFUL_URL = url('STATEFUL_URL');

const scenario = (exec: string) => ({ executor: 'per-vu-iterations', exec, vus: shape.vus, iterations: shape.iterations, maxDuration: shape.maxDuration });

export const options = {
  scenarios: { stateless: scenario('stateless'), stateful: scenario('stateful') },
  thresholds: {
    ...tagged({ ...NOTHING_LOST, ...SESSIONS_KEPT, ...podsPerSession(2), ...everyUserChecked(shape.vus), ...FEW_FAILED_REQUESTS }, 'stateless'),
    // The contrast must show: a stateful release that lost nothing proves nothing about state.
    ...tagged({ [LOAD_METRICS.writesLost]: ['count>0'], ...everyUserChecked(shape.vus) }, 'stateful'),
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

export function setup(): RunSettings {
  return runSettings();
}

export function stateless(settings: RunSettings): void {
  shopperIteration({ baseUrl: STATELESS_URL, settings, shape, readBack: true });
}

export function stateful(settings: RunSettings): void {
  // Accounts of the two releases live in two databases; distinct ids keep the logs readable.
  shopperIteration({ baseUrl: STATEFUL_URL, settings: { ...settings, runId: `${settings.runId}-sf` }, shape, readBack: true });
}

export const handleSummary = summaryFiles('04-stateful-vs-stateless');
