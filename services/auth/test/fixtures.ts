// A real auth service for other services' tests: started as a process on a free port (its JWKS
// is what catalog and cart verify against), plus helpers to get tokens for a user or an admin.
// Exported as @anypod/auth/testing.
import { fileURLToPath } from 'node:url';
import { startService, stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { TEST_DATABASE_URL, testEnv } from '@anypod/platform/testing/env';
import pg from 'pg';

const authDir = fileURLToPath(new URL('..', import.meta.url));
let counter = 0;

export interface TestAuth {
  url: string;
  jwksUrl: string;
  process: ServiceProcess;
  /** registers a fresh account and returns its bearer token and id */
  user: (role?: 'user' | 'admin') => Promise<{ id: string; email: string; token: string; refreshToken: string }>;
  stop: () => Promise<void>;
}

export async function startTestAuth(env: Record<string, string> = {}): Promise<TestAuth> {
  // testEnv lifts the per-IP login limit: other services' tests sign in many users from one IP.
  const proc = await startService({ name: 'auth-fixture', cwd: authDir, env: testEnv(env) });
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${proc.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`auth ${path} answered ${res.status}: ${await res.text()}`);
    return res.json() as Promise<Record<string, string>>;
  };
  return {
    url: proc.url,
    jwksUrl: `${proc.url}/auth/.well-known/jwks.json`,
    process: proc,
    async user(role = 'user') {
      const email = `fixture-${Date.now().toString(36)}-${process.pid}-${counter++}@example.test`;
      const password = 'fixture password 123';
      const { id } = await post('/auth/register', { email, password });
      if (role === 'admin') {
        // Roles are granted by operators, not by an API: do what an operator would, in SQL.
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        await client.query('UPDATE auth.users SET role = $1 WHERE id = $2', ['admin', id]);
        await client.end();
      }
      const tokens = await post('/auth/login', { email, password });
      return { id: id as string, email, token: tokens.accessToken as string, refreshToken: tokens.refreshToken as string };
    },
    stop: async () => {
      await stopService(proc);
    },
  };
}
