import { defineConfig } from 'vitest/config';

// One vitest run covers every workspace package; each package has its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ['packages/*', 'services/*', 'tools'],
    reporters: ['default', './tools/vitest/summary-reporter.ts'],
  },
});
