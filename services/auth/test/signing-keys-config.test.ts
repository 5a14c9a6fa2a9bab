// Keys auth cannot use stop its production build at start-up: one line naming the variable,
// exit 78 (EX_CONFIG), no key material echoed — rather than a pod that starts and then fails
// every login, or publishes a key nobody can verify with.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { serviceArgs } from '@anypod/platform/service-command';
import { testEnv } from '@anypod/platform/testing/env';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('..', import.meta.url));

function start(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['DATABASE_URL', 'REDIS_URL'].includes(k)));
  return spawnSync(process.execPath, serviceArgs({ kind: 'build' }), { cwd, env: { ...clean, ...env }, encoding: 'utf8', timeout: 30_000 });
}

function ecKey(namedCurve: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
  return {
    sec1: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    spki: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Exit 78 with exactly one line, starting with `prefix`, that shows none of the PEM body. */
function expectRefused(result: ReturnType<typeof start>, prefix: string, secrets: string[] = []) {
  expect(result.status, `exit status; stderr: ${result.stderr}`).toBe(78);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`auth: configuration error: ${prefix}`);
  for (const secret of secrets) {
    const body = secret.split('\n')[1] as string; // the first base64 line of the PEM
    expect(result.stderr).not.toContain(body);
  }
}

const good = ecKey('prime256v1');
const p384 = ecKey('secp384r1');

describe('JWT_PRIVATE_KEY other than P-256', () => {
  it('a P-384 key is refused, as SEC1 and as PKCS#8, naming the curve', () => {
    expectRefused(start(testEnv({ JWT_PRIVATE_KEY: p384.sec1 })), 'JWT_PRIVATE_KEY is on curve secp384r1, not P-256', [p384.sec1]);
    expectRefused(start(testEnv({ JWT_PRIVATE_KEY: p384.pkcs8 })), 'JWT_PRIVATE_KEY is on curve secp384r1, not P-256', [p384.pkcs8]);
  });

  it('a key of the same size on another curve (secp256k1) and a non-EC key (Ed25519) are refused too', () => {
    const k1 = ecKey('secp256k1');
    expectRefused(start(testEnv({ JWT_PRIVATE_KEY: k1.sec1 })), 'JWT_PRIVATE_KEY is on curve secp256k1, not P-256');
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expectRefused(start(testEnv({ JWT_PRIVATE_KEY: ed })), 'JWT_PRIVATE_KEY is a key of type ed25519, not an EC P-256 key');
  });

  it('`openssl ecparam -genkey` output (an EC PARAMETERS block before the key) is named, not half-read', () => {
    const withParams = `-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${good.sec1}`;
    expectRefused(start(testEnv({ JWT_PRIVATE_KEY: withParams })), 'JWT_PRIVATE_KEY must be exactly one PEM block');
  });
});

describe('JWT_ADDITIONAL_PUBLIC_KEYS that are not P-256 public keys', () => {
  it('a PEM block whose body is not a key is refused, naming the variable and which key', () => {
    const garbage = '-----BEGIN PUBLIC KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PUBLIC KEY-----\n';
    expectRefused(start(testEnv({ JWT_ADDITIONAL_PUBLIC_KEYS: `${good.spki}${garbage}` })), 'JWT_ADDITIONAL_PUBLIC_KEYS key 2 of 2 could not be read as a public key');
  });

  it('text outside the PEM blocks (a truncated paste, a stray line) is refused', () => {
    expectRefused(start(testEnv({ JWT_ADDITIONAL_PUBLIC_KEYS: `${good.spki}oops\n` })), 'JWT_ADDITIONAL_PUBLIC_KEYS must be PEM blocks "PUBLIC KEY" and nothing else');
    const cut = good.spki.slice(0, good.spki.length - 10);
    expectRefused(start(testEnv({ JWT_ADDITIONAL_PUBLIC_KEYS: cut })), 'JWT_ADDITIONAL_PUBLIC_KEYS must be PEM blocks');
  });

  it('a P-384 public key, and a private key pasted by mistake, are refused without echoing the key', () => {
    expectRefused(start(testEnv({ JWT_ADDITIONAL_PUBLIC_KEYS: p384.spki })), 'JWT_ADDITIONAL_PUBLIC_KEYS key 1 of 1 is on curve secp384r1, not P-256');
    expectRefused(start(testEnv({ JWT_ADDITIONAL_PUBLIC_KEYS: `${good.spki}${good.pkcs8}` })), 'JWT_ADDITIONAL_PUBLIC_KEYS key 2 of 2 is a "PRIVATE KEY" PEM block', [good.pkcs8]);
  });
});
