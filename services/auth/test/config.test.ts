// A bad environment stops the process (its production build, what the images run) at once with
// one line naming the variable — or the variables, for a rule across them — and exit code 78.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serviceArgs } from '@anypod/platform/service-command';
import { testEnv } from '@anypod/platform/testing/env';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));

function start(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'REDIS_URL'].includes(k)));
  return spawnSync(process.execPath, serviceArgs({ kind: 'build' }), { cwd, env: { ...clean, ...env }, encoding: 'utf8', timeout: 30_000 });
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

  it('a rule across variables gives one line naming them, and exit 78', () => {
    const shutdown = start(testEnv({ SHUTDOWN_DELAY_MS: '30000', SHUTDOWN_TIMEOUT_MS: '20000' }));
    expect(shutdown.status).toBe(78);
    expect(shutdown.stderr.trim().split('\n')).toEqual([
      'auth: configuration error: SHUTDOWN_DELAY_MS (30000) must be shorter than SHUTDOWN_TIMEOUT_MS (20000), which counts from SIGTERM: the replica would be forced out before it drained',
    ]);
    const tokens = start(testEnv({ ACCESS_TOKEN_TTL_SECONDS: '600', REFRESH_TOKEN_TTL_SECONDS: '600' }));
    expect(tokens.status).toBe(78);
    expect(tokens.stderr.trim().split('\n')).toHaveLength(1);
    expect(tokens.stderr).toMatch(/^auth: configuration error: ACCESS_TOKEN_TTL_SECONDS \(600\) must be shorter than REFRESH_TOKEN_TTL_SECONDS \(600\)/);
  });
});
