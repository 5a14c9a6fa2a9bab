import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'scenarios', include: ['test/**/*.test.ts'], sequence: { groupOrder: 1 } } });
