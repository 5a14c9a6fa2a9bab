import exec from 'k6/execution';
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 1, iterations: 5 } } };
export default function () {
  if (exec.vu.iterationInScenario === 1) exec.test.abort('enough');
  console.log('RESULT ' + JSON.stringify({ name: 'iter', value: exec.vu.iterationInScenario }));
}
export function teardown() { console.log('RESULT ' + JSON.stringify({ name: 'teardown', value: true })); }
