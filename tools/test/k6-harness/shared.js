// shared-iterations: the total is split across VUs.
export const options = {
  scenarios: { pool: { executor: 'shared-iterations', vus: 3, iterations: 10 } },
};
export default function () {}
