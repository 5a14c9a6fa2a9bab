import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'cart',
    include: ['test/**/*.test.ts'],
    // Generates the Prisma client and applies pending migrations, so a clean clone can run the tests.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests share one database schema and start real processes; files run one after another.
    fileParallelism: false,
    // Groups run one after another (vitest.config.ts): services never share the machine with each other.
    sequence: { groupOrder: 4 },
  },
});
