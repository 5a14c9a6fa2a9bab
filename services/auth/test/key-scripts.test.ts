// tools/keys/create-secrets.sh, the way `kubectl apply -f k8s/` users get their keys: its
// --dry-run output (rendered by the real kubectl, offline) holds the Secrets the chart reads, and
// the signing key and refresh secret in it are accepted by auth's production build, which then
// signs with that key. The real-cluster run (create, then leave untouched) belongs to the
// real-Kubernetes issue.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publicJwk } from '@anypod/platform';
import { startService, stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { testEnv } from '@anypod/platform/testing/env';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePart } from './jwt-forge.ts';

const authDir = fileURLToPath(new URL('..', import.meta.url));
const script = fileURLToPath(new URL('../../../tools/keys/create-secrets.sh', import.meta.url));

// No cluster: KUBECONFIG=/dev/null makes any call that needs one fail instead of reaching a
// cluster the machine happens to be configured for.
const offline = { ...process.env, KUBECONFIG: '/dev/null' };

function requireTool(name: string, args: string[]) {
  const probe = spawnSync(name, args, { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(`${name} is needed by this test and by tools/keys/create-secrets.sh but could not be run: ${probe.error?.message ?? probe.stderr}`);
}

interface RenderedSecret {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  data: Record<string, string>;
}

/** Runs the script's dry run in an empty folder; returns its Secrets, decoded, and what it left in the folder. */
function dryRun(args: string[]): { secrets: RenderedSecret[]; leftBehind: string[]; stderr: string } {
  const cwd = mkdtempSync(join(tmpdir(), 'create-secrets-'));
  try {
    const run = spawnSync('bash', [script, '--dry-run', ...args], { cwd, env: offline, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    // kubectl reads its own YAML back (offline, `label --local` with a throw-away label) and
    // prints each object on one line, labels and data as JSON: no YAML parser of the test's own.
    const jsonpath = '{.metadata.namespace}{"\\t"}{.metadata.name}{"\\t"}{.metadata.labels}{"\\t"}{.data}{"\\n"}';
    const read = spawnSync('kubectl', ['label', '--local', '-f', '-', '-o', `jsonpath=${jsonpath}`, 'test-probe=1'], { input: run.stdout, env: offline, encoding: 'utf8' });
    if (read.status !== 0) throw new Error(`kubectl could not read the script's output back: ${read.stderr}\n${run.stdout}`);
    const secrets = read.stdout.trim().split('\n').map((line): RenderedSecret => {
      const [namespace, name, labelsJson, dataJson] = line.split('\t') as [string, string, string, string];
      const { 'test-probe': _probe, ...labels } = JSON.parse(labelsJson) as Record<string, string>;
      const data = Object.fromEntries(Object.entries(JSON.parse(dataJson) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      return { namespace, name, labels, data };
    });
    return { secrets, leftBehind: readdirSync(cwd), stderr: run.stderr };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

let rendered: ReturnType<typeof dryRun>;
let auth: ServiceProcess | undefined;

beforeAll(() => {
  requireTool('kubectl', ['version', '--client']);
  requireTool('openssl', ['version']);
  rendered = dryRun(['--namespace', 'keys-test', '--release', 'rel']);
});

afterAll(async () => {
  if (auth) await stopService(auth);
});

describe('create-secrets.sh --dry-run', () => {
  it('prints the two Secrets the chart reads, in the namespace, with the release labels, and writes no file', () => {
    expect(rendered.secrets.map((s) => `${s.namespace}/${s.name}`)).toEqual(['keys-test/rel-auth-keys', 'keys-test/rel-postgres']);
    const [keys, postgres] = rendered.secrets as [RenderedSecret, RenderedSecret];
    expect(Object.keys(keys.data).sort()).toEqual(['jwt-additional-public-keys', 'jwt-private-key', 'refresh-token-secret']);
    expect(Object.keys(postgres.data).sort()).toEqual(['database-url', 'password']);
    for (const s of rendered.secrets) expect(s.labels).toMatchObject({ 'app.kubernetes.io/name': 'anypod', 'app.kubernetes.io/instance': 'rel', 'app.kubernetes.io/part-of': 'anypod' });
    expect(keys.labels['app.kubernetes.io/component']).toBe('auth');
    expect(postgres.labels['app.kubernetes.io/component']).toBe('postgres');
    expect(rendered.leftBehind).toEqual([]);
  });

  it('makes a PKCS#8 P-256 signing key, a long refresh secret and a database URL carrying the password', () => {
    const [keys, postgres] = rendered.secrets as [RenderedSecret, RenderedSecret];
    expect(keys.data['jwt-private-key']).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    expect(keys.data['refresh-token-secret']?.length).toBeGreaterThanOrEqual(32);
    expect(keys.data['jwt-additional-public-keys']).toBe('');
    const password = postgres.data.password as string;
    expect(password).toMatch(/^[0-9a-f]{48}$/);
    expect(postgres.data['database-url']).toBe(`postgresql://anypod:${password}@rel-postgres:5432/anypod`);
  });

  it('makes new secrets on every run', () => {
    const again = dryRun([]);
    expect(again.secrets.map((s) => `${s.namespace}/${s.name}`)).toEqual(['anypod/anypod-auth-keys', 'anypod/anypod-postgres']);
    const key = (r: typeof rendered) => r.secrets[0]?.data['jwt-private-key'];
    expect(key(again)).not.toBe(key(rendered));
    expect(again.secrets[0]?.data['refresh-token-secret']).not.toBe(rendered.secrets[0]?.data['refresh-token-secret']);
  });

  it("gives keys auth's production build starts with and signs with", async () => {
    const keys = (rendered.secrets[0] as RenderedSecret).data;
    auth = await startService({
      name: 'auth-created-secrets',
      cwd: authDir,
      env: testEnv({
        JWT_PRIVATE_KEY: keys['jwt-private-key'] as string,
        REFRESH_TOKEN_SECRET: keys['refresh-token-secret'] as string,
        JWT_ADDITIONAL_PUBLIC_KEYS: keys['jwt-additional-public-keys'] as string,
      }),
    });
    const kid = publicJwk(keys['jwt-private-key'] as string).kid;
    const jwks = (await (await fetch(`${auth.url}/auth/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toEqual([kid]);
    const email = `created-secrets-${Date.now().toString(36)}-${process.pid}@example.test`;
    const body = JSON.stringify({ email, password: 'correct horse battery staple' });
    const post = (path: string) => fetch(`${auth?.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post('/auth/register')).status).toBe(201);
    const login = await post('/auth/login');
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    expect(decodePart(accessToken, 0).kid).toBe(kid);
  });
});
