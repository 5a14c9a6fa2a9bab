import { defineProject } from 'vitest/config';

// The one-node Kubernetes of tools/kube, for real: kube-up, the chart by quickstart/deploy.sh,
// Pod Security, the short proof on real pods, kube-down. The heaviest suite: it runs last and
// alone, after the gateway's own tests (project kube). Needs root and the Go tools and images
// that `make test`'s setup and images stages build first.
export default defineProject({
  test: {
    name: 'kube-cluster',
    include: ['test/kube-cluster/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 900_000,
    fileParallelism: false,
    sequence: { groupOrder: 7 },
  },
});
