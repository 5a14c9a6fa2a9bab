// A bad environment stops the process at once with one line naming the variable.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testEnv } from '@anypod/platform/testing/env';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));

function start(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'REDIS_URL'].includes(k)));
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd, env: { ...clean, ...env }, encoding: 'utf8', timeout: 30_000 });
}

describe('configuration errors', () => {
  it('a missing DATABASE_URL gives one line naming it and a non-zero exit', () => {
    const { DATABASE_URL: _omitted, ...env } = testEnv();
    const result = start(env);
    expect(result.status).not.toBe(0);
    expect(result.status).toBe(78);
    expect(result.stderr.trim().split('\n')).toEqual(['auth: configuration error: DATABASE_URL is required but not set (expected a postgresql:// URL)']);
  });

  it('a malformed signing key is named too', () => {
    const result = start(testEnv({ JWT_PRIVATE_KEY: 'not a key' }));
    expect(result.status).toBe(78);
    expect(result.stderr).toMatch(/^auth: configuration error: JWT_PRIVATE_KEY is invalid/);
  });
});
