// A real auth service for other services' tests: started as a process on a free port (its JWKS
// is what catalog and cart verify against), plus signed-in users and admins (users.ts).
// Exported as @anypod/auth/testing.
import { fileURLToPath } from 'node:url';
import { startService, stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { testEnv } from '@anypod/platform/testing/env';
import { newAccount, type Account } from './users.ts';

export { grantAdmin, newAccount, TEST_PASSWORD, uniqueEmail, type Account, type AccountOptions } from './users.ts';

const authDir = fileURLToPath(new URL('..', import.meta.url));

export interface TestAuth {
  url: string;
  jwksUrl: string;
  process: ServiceProcess;
  /** registers a fresh account (an admin when asked) and logs in */
  user: (role?: 'user' | 'admin') => Promise<Account>;
  stop: () => Promise<void>;
}

export async function startTestAuth(env: Record<string, string> = {}): Promise<TestAuth> {
  // testEnv lifts the per-IP login limit: other services' tests sign in many users from one IP.
  const proc = await startService({ name: 'auth-fixture', cwd: authDir, env: testEnv(env) });
  return {
    url: proc.url,
    jwksUrl: `${proc.url}/auth/.well-known/jwks.json`,
    process: proc,
    user: (role = 'user') => newAccount(proc.url, 'fixture', { role }),
    stop: async () => {
      await stopService(proc);
    },
  };
}
