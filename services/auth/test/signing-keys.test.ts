// Signing keys as the chart and the key scripts hand them over (tools/keys/README.md): a SEC1 key
// from Sprig's genPrivateKey is accepted, the JWKS serves the active key plus the additional
// public keys of a rotation, and a service verifying with the platform's token verifier (as
// catalog and cart do, over HTTP from auth's JWKS) accepts tokens of both keys during the overlap
// window and refuses a key auth does not publish. Real Postgres, Redis and HTTP.
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, verify, type KeyObject } from 'node:crypto';
import { publicJwk } from '@anypod/platform';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSigningKey } from '../src/signing-keys.ts';
import { buildAuth } from './helper.ts';
import { decodePart, forgeEs256 } from './jwt-forge.ts';
import { buildVerifier, jwksOf, tokenFrom, whoami, type Jwks } from './verifier.ts';

function p256() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    // What the chart gets from Sprig's genPrivateKey "ecdsa" (an "EC PRIVATE KEY" block) ...
    sec1: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
    // ... and what openssl genpkey and tools/keys write.
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    spki,
    kid: publicJwk(spki).kid,
  };
}

// A rotation from key A to key B (tools/keys/README.md), and a key C auth never publishes.
const A = p256();
const B = p256();
const C = p256();

/** Checks an ES256 JWT's signature with node:crypto alone, against one JWK. */
function signedBy(token: string, jwk: Jwks['keys'][number]): boolean {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const key: KeyObject = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
  return verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
}

// Two auth "pods" of one rolling update, both listening on HTTP (verifiers fetch the JWKS):
//   oldPod  phase 1: signs with A (given as SEC1, as the chart makes it), publishes B as well
//   newPod  phase 2: signs with B, still publishes A (and B again, which must appear once)
let oldPod: FastifyInstance;
let newPod: FastifyInstance;
let oldPodUrl: string;
let newPodUrl: string;
const verifiers: FastifyInstance[] = [];

beforeAll(async () => {
  oldPod = await buildAuth({ JWT_PRIVATE_KEY: A.sec1, JWT_ADDITIONAL_PUBLIC_KEYS: B.spki, POD_NAME: 'auth-old' });
  newPod = await buildAuth({ JWT_PRIVATE_KEY: B.pkcs8, JWT_ADDITIONAL_PUBLIC_KEYS: `${A.spki}${B.spki}`, POD_NAME: 'auth-new' });
  oldPodUrl = await oldPod.listen({ host: '127.0.0.1', port: 0 });
  newPodUrl = await newPod.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await Promise.all(verifiers.map((v) => v.close()));
  await oldPod?.close();
  await newPod?.close();
});

async function verifierOf(podUrl: string): Promise<FastifyInstance> {
  const verifier = await buildVerifier(`${podUrl}/auth/.well-known/jwks.json`);
  verifiers.push(verifier);
  return verifier;
}

describe('the signing key', () => {
  it('is accepted as SEC1 PEM (what Sprig\'s genPrivateKey "ecdsa" gives), and its tokens verify against the JWKS', async () => {
    expect(A.sec1).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
    const token = await tokenFrom(oldPod);
    expect(decodePart(token, 0)).toMatchObject({ alg: 'ES256', kid: A.kid });
    const published = (await jwksOf(oldPod)).keys.find((k) => k.kid === A.kid);
    expect(published, 'the active key is in the JWKS').toBeDefined();
    expect(signedBy(token, published as Jwks['keys'][number])).toBe(true);
    // and the pod itself accepts its own token
    const me = await oldPod.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.statusCode).toBe(200);
  });

  it('has a kid that does not depend on the encoding: the RFC 7638 thumbprint of the public key', () => {
    const fromSec1 = parseSigningKey(A.sec1);
    const fromPkcs8 = parseSigningKey(A.pkcs8);
    expect(fromSec1.ok && fromPkcs8.ok).toBe(true);
    if (!fromSec1.ok || !fromPkcs8.ok) return;
    expect(fromSec1.value.kid).toBe(fromPkcs8.value.kid);
    expect(fromSec1.value.kid).toBe(A.kid);
    // RFC 7638 §3.1 by hand: the required members in lexicographic order, SHA-256, base64url.
    const { x, y } = fromSec1.value.jwk;
    const expected = createHashBase64url(`{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`);
    expect(fromSec1.value.kid).toBe(expected);
    // what the token signer receives is PKCS#8 whatever came in
    expect(fromSec1.value.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });
});

describe('the JWKS during a rotation', () => {
  it('serves the active key and every additional public key, each once, with distinct kids and no private part', async () => {
    const phase1 = await jwksOf(oldPod);
    expect(phase1.keys.map((k) => k.kid)).toEqual([A.kid, B.kid]);
    const phase2 = await jwksOf(newPod);
    // B is configured twice (active and additional): published once
    expect(phase2.keys.map((k) => k.kid)).toEqual([B.kid, A.kid]);
    for (const jwks of [phase1, phase2]) {
      expect(new Set(jwks.keys.map((k) => k.kid)).size).toBe(jwks.keys.length);
      for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
    }
  });

  it('never signs with an additional key', async () => {
    const token = await tokenFrom(newPod);
    expect(decodePart(token, 0).kid).toBe(B.kid);
    const [active, additional] = (await jwksOf(newPod)).keys as [Jwks['keys'][number], Jwks['keys'][number]];
    expect(signedBy(token, active)).toBe(true);
    expect(signedBy(token, additional)).toBe(false);
  });
});

describe('a verifying service (the platform token verifier, as catalog uses it)', () => {
  it('phase 2: accepts a token signed by the previous key, and one of the new key, from the new pod\'s JWKS', async () => {
    const verifier = await verifierOf(newPodUrl);
    const oldToken = await tokenFrom(oldPod); // issued before the rollout reached this user's pod
    const newToken = await tokenFrom(newPod);
    const old = await whoami(verifier, oldToken);
    expect(old.statusCode, old.body).toBe(200);
    expect((await whoami(verifier, newToken)).statusCode).toBe(200);
  });

  it('phase 1: a verifier that asks an old pod for the JWKS already knows the next key', async () => {
    const verifier = await verifierOf(oldPodUrl);
    const res = await whoami(verifier, await tokenFrom(newPod));
    expect(res.statusCode, res.body).toBe(200);
  });

  it('refuses a token from a key auth does not publish, and one claiming a published kid it was not signed with', async () => {
    const verifier = await verifierOf(newPodUrl);
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: randomUUID(), role: 'admin', jti: randomUUID(), sid: randomUUID(), iss: 'anypod-auth', aud: 'anypod', iat: now, exp: now + 300 };
    // The same forger with a published key is accepted: the refusals below are about the key.
    expect((await whoami(verifier, forgeEs256({ kid: A.kid }, claims, A.pkcs8))).statusCode).toBe(200);
    const unknown = await whoami(verifier, forgeEs256({ kid: C.kid }, claims, C.pkcs8));
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json<{ detail: string }>().detail).toMatch(/key auth does not publish/);
    const borrowedKid = await whoami(verifier, forgeEs256({ kid: A.kid }, claims, C.pkcs8));
    expect(borrowedKid.statusCode).toBe(401);
  });
});

function createHashBase64url(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
