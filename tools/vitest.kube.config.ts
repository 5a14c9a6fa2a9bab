import { defineProject } from 'vitest/config';

// The gateway fixture (tools/kube/gateway): its translation on the chart's objects, and the fixture
// against a real kube-apiserver and etcd started by the test itself (no node; the one-node cluster
// is project kube-cluster, after this one). These start processes and depend on timing, so they
// run after the other suites, one file at a time. The Go tools they use (kube-apiserver, kubectl,
// helm) are built by `make test`'s setup stages; etcd comes from Debian (ensure-packages.sh).
export default defineProject({
  test: {
    name: 'kube',
    include: ['test/kube/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    sequence: { groupOrder: 6 },
  },
});
