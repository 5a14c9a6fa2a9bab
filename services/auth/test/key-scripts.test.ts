// tools/keys, offline (KUBECONFIG=/dev/null; the real kubectl renders and patches local copies):
// - create-secrets.sh --dry-run holds the Secrets the chart reads, and auth's production build
//   starts and signs with the key it made;
// - rotate-signing-key.sh's three phases, each applied with --dry-run --secret-file to the
//   previous phase's Secret, give auth pods that a verifying service (the platform's token
//   verifier) follows through the rotation without refusing a valid token;
// - the chart's own Secret (helm template, i.e. a first helm install: Sprig's SEC1 key) is
//   accepted by auth and can be rotated by the same script.
// The real-cluster runs (create, leave untouched, patch, rollout restart) belong to the
// real-Kubernetes issue.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publicJwk } from '@anypod/platform';
import { startService, stopService, type ServiceProcess } from '@anypod/platform/testing/processes';
import { testEnv } from '@anypod/platform/testing/env';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuth } from './helper.ts';
import { decodePart } from './jwt-forge.ts';
import { newAccount } from './users.ts';
import { buildVerifier, jwksOf, tokenFrom, whoami } from './verifier.ts';

const authDir = fileURLToPath(new URL('..', import.meta.url));
const createSecrets = fileURLToPath(new URL('../../../tools/keys/create-secrets.sh', import.meta.url));
const rotate = fileURLToPath(new URL('../../../tools/keys/rotate-signing-key.sh', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

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

/** Decodes a YAML stream of Secrets, read back by kubectl itself: no YAML parser of the test's own. */
function readSecrets(yaml: string): RenderedSecret[] {
  // `label --local` with a throw-away label prints each object on one line, labels and data as JSON.
  const jsonpath = '{.metadata.namespace}{"\\t"}{.metadata.name}{"\\t"}{.metadata.labels}{"\\t"}{.data}{"\\n"}';
  const read = spawnSync('kubectl', ['label', '--local', '-f', '-', '-o', `jsonpath=${jsonpath}`, 'test-probe=1'], { input: yaml, env: offline, encoding: 'utf8' });
  if (read.status !== 0) throw new Error(`kubectl could not read the YAML back: ${read.stderr}\n${yaml}`);
  return read.stdout.trim().split('\n').map((line): RenderedSecret => {
    const [namespace, name, labelsJson, dataJson] = line.split('\t') as [string, string, string, string];
    const { 'test-probe': _probe, ...labels } = JSON.parse(labelsJson) as Record<string, string>;
    const data = Object.fromEntries(Object.entries(JSON.parse(dataJson) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    return { namespace, name, labels, data };
  });
}

/** Runs create-secrets.sh --dry-run in an empty folder; returns its output, its Secrets decoded, and what it left in the folder. */
function dryRun(args: string[]): { yaml: string; secrets: RenderedSecret[]; leftBehind: string[] } {
  const cwd = mkdtempSync(join(tmpdir(), 'create-secrets-'));
  try {
    const run = spawnSync('bash', [createSecrets, '--dry-run', ...args], { cwd, env: offline, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    return { yaml: run.stdout, secrets: readSecrets(run.stdout), leftBehind: readdirSync(cwd) };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** One rotate-signing-key.sh command on a Secret given as YAML (stdin), offline. */
function rotateOffline(command: string, secretYaml: string, extra: string[] = []) {
  return spawnSync('bash', [rotate, command, '--secret-file', '-', ...extra], { input: secretYaml, env: offline, encoding: 'utf8', timeout: 60_000 });
}

let rendered: ReturnType<typeof dryRun>;
let auth: ServiceProcess | undefined;

beforeAll(() => {
  requireTool('kubectl', ['version', '--client']);
  requireTool('openssl', ['version']);
  rendered = dryRun(['--namespace', 'keys-test', '--release', 'rel']);
});

const apps: FastifyInstance[] = [];
afterAll(async () => {
  if (auth) await stopService(auth);
  for (const app of apps.reverse()) await app.close();
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
    // Register and login answer 201 and 200 (newAccount fails otherwise); the token is signed with the created key.
    const { accessToken } = await newAccount(auth.url, 'created-secrets');
    expect(decodePart(accessToken, 0).kid).toBe(kid);
  });
});

describe('rotate-signing-key.sh, phase by phase on the Secret create-secrets.sh made', () => {
  // The Secret after each phase (YAML), and the decoded data of each.
  const phases: Record<'created' | 'published' | 'promoted' | 'retired', { yaml: string; data: Record<string, string> }> = {} as never;
  const kidOf = (pem: string) => publicJwk(pem).kid;

  /** An auth "pod" started with the Secret of a phase, as the Deployment's env would give it; listening, so verifiers can fetch its JWKS. */
  async function podOf(data: Record<string, string>): Promise<{ app: FastifyInstance; jwksUrl: string }> {
    const app = await buildAuth({ JWT_PRIVATE_KEY: data['jwt-private-key'] as string, REFRESH_TOKEN_SECRET: data['refresh-token-secret'] as string, JWT_ADDITIONAL_PUBLIC_KEYS: data['jwt-additional-public-keys'] ?? '' });
    apps.push(app);
    return { app, jwksUrl: `${await app.listen({ host: '127.0.0.1', port: 0 })}/auth/.well-known/jwks.json` };
  }
  async function verifierOf(jwksUrl: string) {
    const verifier = await buildVerifier(jwksUrl);
    apps.push(verifier);
    return verifier;
  }

  beforeAll(() => {
    const yaml = `${rendered.yaml.split(/^---\n/m).find((doc) => doc.includes('name: rel-auth-keys'))}`;
    phases.created = { yaml, data: readSecrets(yaml)[0]?.data ?? {} };
    let previous = yaml;
    for (const [phase, command, extra] of [['published', 'publish-next', []], ['promoted', 'promote', []], ['retired', 'retire', ['--force']]] as const) {
      const run = rotateOffline(command, previous, [...extra]);
      if (run.status !== 0) throw new Error(`rotate-signing-key.sh ${command} exited ${run.status}: ${run.stderr}`);
      phases[phase] = { yaml: run.stdout, data: readSecrets(run.stdout)[0]?.data ?? {} };
      previous = run.stdout;
    }
  });

  it('moves the keys through the Secret: next stored and published, then signing with the old one published, then the old one dropped', () => {
    const { created, published, promoted, retired } = phases;
    const oldKey = created.data['jwt-private-key'] as string;
    const nextKey = published.data['jwt-next-private-key'] as string;
    expect(nextKey).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(kidOf(nextKey)).not.toBe(kidOf(oldKey));
    // phase 1: still signing with the old key; the next key's public half published
    expect(published.data['jwt-private-key']).toBe(oldKey);
    expect(published.data['jwt-additional-public-keys']).toMatch(/^-----BEGIN PUBLIC KEY-----\n[^]+-----END PUBLIC KEY-----\n$/);
    expect(published.data['jwt-additional-public-keys']).not.toMatch(/PRIVATE/);
    expect(kidOf(published.data['jwt-additional-public-keys'] as string)).toBe(kidOf(nextKey));
    // phase 2: the next key signs; the old key's public half published; no next key left
    expect(promoted.data['jwt-private-key']).toBe(nextKey);
    expect(promoted.data).not.toHaveProperty('jwt-next-private-key');
    expect(kidOf(promoted.data['jwt-additional-public-keys'] as string)).toBe(kidOf(oldKey));
    // phase 3: only the signing key; the refresh secret untouched throughout
    expect(retired.data['jwt-private-key']).toBe(nextKey);
    expect(retired.data['jwt-additional-public-keys']).toBe('');
    for (const p of [published, promoted, retired]) expect(p.data['refresh-token-secret']).toBe(created.data['refresh-token-secret']);
  });

  it('refuses to retire before the access-token lifetime has passed since promote, and to publish a second next key', () => {
    const early = rotateOffline('retire', phases.promoted.yaml);
    expect(early.status).toBe(1);
    expect(early.stderr).toMatch(/too early: tokens signed by the previous key may be valid until .* \(in 3\d\d s\)/);
    const again = rotateOffline('publish-next', phases.published.yaml);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/a rotation is under way/);
  });

  it('gives pods that a verifying service follows through the rollouts without refusing a valid token', async () => {
    const before = await podOf(phases.created.data);
    const phase1 = await podOf(phases.published.data);
    const phase2 = await podOf(phases.promoted.data);
    const phase3 = await podOf(phases.retired.data);
    const oldKid = kidOf(phases.created.data['jwt-private-key'] as string);
    const nextKid = kidOf(phases.promoted.data['jwt-private-key'] as string);
    expect((await jwksOf(phase1.app)).keys.map((k) => k.kid)).toEqual([oldKid, nextKid]);
    expect((await jwksOf(phase2.app)).keys.map((k) => k.kid)).toEqual([nextKid, oldKid]);
    expect((await jwksOf(phase3.app)).keys.map((k) => k.kid)).toEqual([nextKid]);

    const oldToken = await tokenFrom(before.app);
    const phase1Token = await tokenFrom(phase1.app);
    const newToken = await tokenFrom(phase2.app);
    expect(decodePart(phase1Token, 0).kid).toBe(oldKid);
    expect(decodePart(newToken, 0).kid).toBe(nextKid);
    // Rollout 1→2: a verifier asking a phase-1 pod (not yet restarted) already knows the new key.
    expect((await whoami(await verifierOf(phase1.jwksUrl), newToken)).statusCode).toBe(200);
    // Overlap: a verifier asking a phase-2 pod still accepts tokens issued before promote.
    const overlap = await verifierOf(phase2.jwksUrl);
    expect((await whoami(overlap, oldToken)).statusCode).toBe(200);
    expect((await whoami(overlap, phase1Token)).statusCode).toBe(200);
    // After retire: the old key is gone for a verifier that never saw it; the new one works.
    const after = await verifierOf(phase3.jwksUrl);
    expect((await whoami(after, newToken)).statusCode).toBe(200);
    expect((await whoami(after, oldToken)).statusCode).toBe(401);
  });

  it('prints the same kid as the JWKS for a key in any encoding, and refuses a key of another curve', () => {
    const key = phases.promoted.data['jwt-private-key'] as string;
    const kid = spawnSync('bash', [rotate, 'kid'], { input: key, encoding: 'utf8' });
    expect(kid.stdout.trim()).toBe(kidOf(key));
    const spki = phases.promoted.data['jwt-additional-public-keys'] as string;
    expect(spawnSync('bash', [rotate, 'kid'], { input: spki, encoding: 'utf8' }).stdout.trim()).toBe(kidOf(spki));
    const p384 = spawnSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], { encoding: 'utf8' }).stdout;
    const refused = spawnSync('bash', [rotate, 'kid'], { input: p384, encoding: 'utf8' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/not a P-256 key/);
  });
});

describe("the chart's own Secret (helm install: Sprig's genPrivateKey)", () => {
  let chartSecret: { yaml: string; data: Record<string, string> };

  beforeAll(() => {
    // helm is the project's pinned build (tools/go, made by make test's setup before any test).
    const helmPath = spawnSync('bash', [join(repoRoot, 'tools/go/go-tools.sh'), 'path', 'helm'], { encoding: 'utf8', timeout: 900_000 });
    if (helmPath.status !== 0) throw new Error(`helm (tools/go/go-tools.sh path helm) is needed to render the chart's Secret: ${helmPath.stderr}`);
    // helm template cannot look up, so it renders what a first helm install creates.
    const render = spawnSync(helmPath.stdout.trim(), ['template', 'rel', join(repoRoot, 'helm/anypod'), '--namespace', 'keys-test', '--show-only', 'templates/secrets.yaml'], { env: offline, encoding: 'utf8', timeout: 60_000 });
    if (render.status !== 0) throw new Error(`helm template failed: ${render.stderr}`);
    const yaml = render.stdout.split(/^---\n/m).find((doc) => /^\s+name: rel-auth-keys$/m.test(doc));
    if (!yaml) throw new Error(`the chart rendered no Secret rel-auth-keys:\n${render.stdout}`);
    chartSecret = { yaml, data: readSecrets(yaml)[0]?.data ?? {} };
  });

  it('holds a SEC1 P-256 key that auth signs with, and rotate-signing-key.sh can take it through phase 1 and 2', async () => {
    const key = chartSecret.data['jwt-private-key'] as string;
    expect(key).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
    const pod = await buildAuth({ JWT_PRIVATE_KEY: key, REFRESH_TOKEN_SECRET: chartSecret.data['refresh-token-secret'] as string, JWT_ADDITIONAL_PUBLIC_KEYS: chartSecret.data['jwt-additional-public-keys'] ?? '' });
    apps.push(pod);
    const token = await tokenFrom(pod);
    expect(decodePart(token, 0).kid).toBe(publicJwk(key).kid);
    expect((await jwksOf(pod)).keys.map((k) => k.kid)).toEqual([publicJwk(key).kid]);

    const published = rotateOffline('publish-next', chartSecret.yaml, ['--namespace', 'keys-test', '--release', 'rel']);
    expect(published.status, published.stderr).toBe(0);
    const promoted = rotateOffline('promote', published.stdout, ['--namespace', 'keys-test', '--release', 'rel']);
    expect(promoted.status, promoted.stderr).toBe(0);
    const data = readSecrets(promoted.stdout)[0]?.data ?? {};
    // the SEC1 key's public half is what stays published, under the same kid auth gave it
    expect(publicJwk(data['jwt-additional-public-keys'] as string).kid).toBe(publicJwk(key).kid);
  });
});
