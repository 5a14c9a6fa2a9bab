// A short scripted walk through the auth API — register → login → me → refresh → logout →
// me again — printing which replica answered each step. Through the Ingress, consecutive steps
// land on different replicas and still work: that is what "stateless" buys.
// Each step is the request the load and k6 send (@anypod/scenarios), for an account made the
// way every test makes one (@anypod/auth/testing).
import { TEST_PASSWORD, uniqueEmail } from '@anypod/auth/testing';
import { send } from '@anypod/scenarios/api-client';
import { login, logout, me, parseJson, refresh, register, type HttpRequest } from '@anypod/scenarios/requests';

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
  const email = uniqueEmail('walkthrough');

  async function call(step: string, request: HttpRequest, opts: { expect: number; note: (json: Record<string, unknown>) => string }) {
    const res = await send(baseUrl, request);
    const json = parseJson<Record<string, unknown>>(res) ?? {};
    const servedBy = res.headers['x-served-by'] ?? '?';
    const record = { step, method: request.method, path: request.path, status: res.status, servedBy, note: opts.note(json) };
    steps.push(record);
    print(`  ${step.padEnd(9)} ${request.method.padEnd(4)} ${request.path.padEnd(16)} → ${res.status}  served by ${servedBy.padEnd(14)} ${record.note}`);
    if (res.status !== opts.expect) throw new Error(`${step}: expected ${opts.expect}, got ${res.status}: ${res.body}`);
    return json;
  }

  await call('register', register(email, TEST_PASSWORD), { expect: 201, note: (j) => `user ${String(j.id).slice(0, 8)}…` });
  const tokens = await call('login', login(email, TEST_PASSWORD), { expect: 200, note: () => 'access + refresh token' });
  await call('me', me({ accessToken: String(tokens.accessToken) }), { expect: 200, note: (j) => `${j.email}` });
  const refreshed = await call('refresh', refresh(String(tokens.refreshToken)), { expect: 200, note: () => 'rotated: new pair' });
  const accessToken = String(refreshed.accessToken);
  await call('logout', logout({ accessToken }), { expect: 204, note: () => 'family revoked, token denylisted' });
  await call('me again', me({ accessToken }), { expect: 401, note: () => 'refused on every replica' });
  const replicas = new Set(steps.map((s) => s.servedBy));
  print(`  ${steps.length} steps answered by ${replicas.size} different replica(s): ${[...replicas].join(', ')}`);
  return steps;
}
