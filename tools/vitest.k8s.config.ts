import { defineProject } from 'vitest/config';

// Packaging for Kubernetes: the images, the Helm chart (lint, render, offline schema validation,
// policy and contract tests), the rendered k8s/ folder, the quickstart scripts and the users' CI
// workflows. Nothing here is timing-sensitive; the Go tools and images it uses are built by
// `make test`'s setup stages before any test starts.
export default defineProject({
  test: {
    name: 'k8s',
    include: ['test/k8s/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    sequence: { groupOrder: 1 },
  },
});
