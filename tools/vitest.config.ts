import { defineProject } from 'vitest/config';

// The tools' own tests that start no cluster: report, CLI, load driver and killer logic. Local
// clusters and the short proof are their own project (vitest.cluster.config.ts), run last.
export default defineProject({
  test: {
    name: 'tools',
    include: ['test/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    sequence: { groupOrder: 1 },
  },
});
