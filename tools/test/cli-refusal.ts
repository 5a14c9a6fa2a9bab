// How a tools CLI's refusal of bad input is checked, once for every CLI test: run as its users run
// it, it must say what is wrong, print the usage line and exit 2 — no output, no stack trace.
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { REPO_ROOT } from '../cluster/paths.ts';

/** Runs `cli` (a path from the repository root) with `args`: it must refuse them with `says`. */
export function expectRefused(cli: string, args: string[], says: string): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(result.status, result.stderr).toBe(2);
  expect(result.stderr).toContain(says);
  expect(result.stderr).toContain(`usage: node --import tsx ${cli}`);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
}
