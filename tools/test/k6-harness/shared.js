// shared-iterations: the total is split across VUs; each iteration has its own scenario-wide number.
import { sleep } from 'k6';
import exec from 'k6/execution';
import { Trend } from 'k6/metrics';

const numbers = new Trend('iteration_in_test');

export const options = {
  scenarios: { pool: { executor: 'shared-iterations', vus: 3, iterations: 10 } },
};
export default function () {
  numbers.add(exec.scenario.iterationInTest);
  // long enough for every VU to take a share (an empty iteration lets the first VU take them all)
  sleep(0.05);
}
