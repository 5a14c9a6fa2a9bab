import { defineConfig } from 'vitest/config';

// One vitest run covers every workspace package; each package has its own vitest.config.ts.
// Projects run in groups, one group after another (`sequence.groupOrder` in each project):
//   1  unit tests: platform, contracts, scenarios, tools, k8s, bench
//   2  auth      3  catalog      4  cart
//   5  local clusters and the short proof
//   6  the gateway on a real API server (kube)
//   7  the one-node Kubernetes (kube-cluster)
// so the suites that start processes never share the two cores with each other, and the light
// ones are done before the heavy ones start. (Not 0: with one worker, as on two cores, vitest
// puts projects of group 0 into a group of its own that runs last.)
export default defineConfig({
  test: {
    projects: ['packages/*', 'services/*', 'bench', 'tools/vitest.config.ts', 'tools/vitest.k8s.config.ts', 'tools/vitest.cluster.config.ts', 'tools/vitest.kube.config.ts', 'tools/vitest.kube-cluster.config.ts'],
    reporters: ['default', './tools/vitest/summary-reporter.ts'],
    // Builds the services: every test that starts one as a process runs what the images run.
    globalSetup: ['./tools/vitest/build-services.ts'],
    tags: [
      {
        name: 'timing',
        description: 'depends on timing, processes or the network (real replicas, kills, timeouts): `make test-repeat` runs these N times',
      },
    ],
  },
});
