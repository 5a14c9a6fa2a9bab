/* global __VU, __ENV */ // k6's globals
// constant-vus: stops at its duration; a long iteration is interrupted after gracefulStop.
import { sleep } from 'k6';
export const options = {
  scenarios: { steady: { executor: 'constant-vus', vus: 2, duration: '1s', gracefulStop: '500ms' } },
};
export default function () {
  sleep(__VU === 1 ? 0.1 : 600);
}
export function handleSummary(data) {
  // The second output goes into a folder that does not exist: k6 makes no folders, reports it, and goes on.
  return { [__ENV.MISSING_PATH]: 'nowhere', [__ENV.SUMMARY_PATH]: JSON.stringify(data) };
}
