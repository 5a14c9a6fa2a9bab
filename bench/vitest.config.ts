import { defineProject } from 'vitest/config';

// The bench harness's own parts (tables, targets, options, pinning, the load generator against a
// small real server). The whole bench, end to end, runs in the cluster group
// (tools/test/cluster/bench.test.ts).
export default defineProject({ test: { name: 'bench', include: ['test/**/*.test.ts'], testTimeout: 60_000, sequence: { groupOrder: 1 } } });
