import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'catalog',
    include: ['test/**/*.test.ts'],
    // Generates the Prisma client and applies pending migrations, so a clean clone can run the tests.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Route tests share one database schema and one Redis; files run one after another.
    fileParallelism: false,
    // Groups run one after another (vitest.config.ts): services never share the machine with each other.
    sequence: { groupOrder: 3 },
  },
});
