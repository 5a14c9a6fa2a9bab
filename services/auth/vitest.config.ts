import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'auth',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Route tests share one database schema; files run one after another to keep them independent.
    fileParallelism: false,
    // Groups run one after another (vitest.config.ts): services never share the machine with each other.
    sequence: { groupOrder: 2 },
  },
});
