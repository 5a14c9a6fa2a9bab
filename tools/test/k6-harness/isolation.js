/* global __VU, __ITER */ // k6's globals
// Module state is per VU: each VU counts its own iterations.
import { Trend, Counter } from 'k6/metrics';
import exec from 'k6/execution';

const seen = new Trend('vu_iterations_seen');
const mismatches = new Counter('iteration_mismatches');
let count = 0;

export const options = {
  scenarios: { each: { executor: 'per-vu-iterations', vus: 3, iterations: 4 } },
  thresholds: { 'vu_iterations_seen{vu:1}': ['max==4'], iteration_mismatches: ['count==0'] },
};

export default function () {
  count += 1;
  seen.add(count, { vu: String(__VU) });
  mismatches.add(exec.vu.iterationInScenario === count - 1 && __ITER === count - 1 ? 0 : 1);
}
