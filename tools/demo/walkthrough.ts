// A short scripted walk through the auth API — register → login → me → refresh → logout →
// me again — printing which replica answered each step. Through the Ingress, consecutive steps
// land on different replicas and still work: that is what "stateless" buys.
import { request } from 'undici';

export interface WalkthroughStep {
  step: string;
  method: string;
  path: string;
  status: number;
  servedBy: string;
  note: string;
}

export async function walkthrough(baseUrl: string, print: (line: string) => void = console.log): Promise<WalkthroughStep[]> {
  const steps: WalkthroughStep[] = [];
  const email = `walkthrough-${Date.now().toString(36)}@example.test`;
  const password = 'walkthrough password';

  async function call(step: string, method: 'GET' | 'POST', path: string, opts: { body?: unknown; token?: string; expect: number; note: (json: Record<string, unknown>) => string }) {
    const headers: Record<string, string> = {};
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await request(`${baseUrl}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), headersTimeout: 10_000, bodyTimeout: 10_000 });
    const text = await res.body.text();
    const json = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    const servedBy = String(res.headers['x-served-by'] ?? '?');
    const record = { step, method, path, status: res.statusCode, servedBy, note: opts.note(json) };
    steps.push(record);
    print(`  ${step.padEnd(9)} ${method.padEnd(4)} ${path.padEnd(16)} → ${res.statusCode}  served by ${servedBy.padEnd(14)} ${record.note}`);
    if (res.statusCode !== opts.expect) throw new Error(`${step}: expected ${opts.expect}, got ${res.statusCode}: ${text}`);
    return json;
  }

  await call('register', 'POST', '/auth/register', { body: { email, password }, expect: 201, note: (j) => `user ${String(j.id).slice(0, 8)}…` });
  const login = await call('login', 'POST', '/auth/login', { body: { email, password }, expect: 200, note: () => 'access + refresh token' });
  await call('me', 'GET', '/auth/me', { token: String(login.accessToken), expect: 200, note: (j) => `${j.email}` });
  const refreshed = await call('refresh', 'POST', '/auth/refresh', { body: { refreshToken: String(login.refreshToken) }, expect: 200, note: () => 'rotated: new pair' });
  const accessToken = String(refreshed.accessToken);
  await call('logout', 'POST', '/auth/logout', { token: accessToken, expect: 204, note: () => 'family revoked, token denylisted' });
  await call('me again', 'GET', '/auth/me', { token: accessToken, expect: 401, note: () => 'refused on every replica' });
  const replicas = new Set(steps.map((s) => s.servedBy));
  print(`  ${steps.length} steps answered by ${replicas.size} different replica(s): ${[...replicas].join(', ')}`);
  return steps;
}
