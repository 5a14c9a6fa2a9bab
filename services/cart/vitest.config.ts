import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'cart',
    include: ['test/**/*.test.ts'],
    // Generates Prisma clients and applies pending migrations (cart, and catalog which the tests run).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests share one database schema and start real processes; files run one after another.
    fileParallelism: false,
  },
});
