import { defineProject } from 'vitest/config';

// Real Kubernetes: the gateway fixture (tools/kube/gateway) against a real kube-apiserver and
// etcd started by the test itself, and the one-node cluster of tools/kube. These start processes
// and depend on timing, so they run after everything else, alone, one file at a time. The Go
// tools they use (kube-apiserver, kubectl, helm) are built by `make test`'s setup stages.
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
