/* global __ENV */ // k6's global
// Custom metrics and submetric thresholds; WANT decides whether they pass.
import { Counter, Rate } from 'k6/metrics';
const ops = new Counter('anypod_operations');
const good = new Rate('good_rate');
export const options = {
  vus: 2, iterations: 4,
  thresholds: {
    'anypod_operations{outcome:ok}': [`count==${__ENV.WANT}`],
    anypod_operations: ['count>=4'],
    good_rate: [{ threshold: 'rate==1', abortOnFail: false }],
  },
};
export default function () {
  ops.add(1, { kind: 'read', outcome: 'ok' });
  ops.add(0, { kind: 'read', outcome: 'fail' });
  good.add(true);
}
