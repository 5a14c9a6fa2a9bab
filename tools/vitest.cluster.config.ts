import { defineProject } from 'vitest/config';

// Local clusters (several replicas of every service behind nginx) and the short proof: the
// heaviest suites, so they run last, alone, one file at a time — a proof that demands zero failed
// attempts must not share two cores with anything else.
export default defineProject({
  test: {
    name: 'cluster',
    include: ['test/cluster/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    sequence: { groupOrder: 5 },
  },
});
