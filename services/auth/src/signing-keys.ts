// The access-token keys auth reads from its environment: the one it signs with, and the public
// keys it publishes next to it during a rotation (tools/keys/README.md). Pure functions, so the
// config rules (exit 78 at start-up) and the app use the same parsing.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { publicJwk } from '@anypod/platform';

export type Jwk = ReturnType<typeof publicJwk>;

/** The JWKS route's schema allows ten keys: the active one plus this many. */
export const MAX_ADDITIONAL_PUBLIC_KEYS = 9;

// ES256 means P-256; Node (OpenSSL) names that curve prime256v1.
const P256 = 'prime256v1';

// Accepted private-key encodings. PKCS#8 is what `openssl genpkey` writes. SEC1 (RFC 5915) is
// what the chart gets from Sprig's `genPrivateKey "ecdsa"` for `helm install`: Sprig's
// generatePrivateKey calls ecdsa.GenerateKey(elliptic.P256(), ...) and pemBlockForKey encodes an
// *ecdsa.PrivateKey with x509.MarshalECPrivateKey as a PEM block of type "EC PRIVATE KEY"
// (github.com/Masterminds/sprig crypto.go). Both carry the curve's OID, which is checked below.
const PRIVATE_KEY_LABELS = ['PRIVATE KEY', 'EC PRIVATE KEY'];
const PUBLIC_KEY_LABEL = 'PUBLIC KEY';

export interface SigningKey {
  /** the same key as PKCS#8 PEM, whatever encoding it came in: what the token signer expects */
  privateKeyPem: string;
  /** RFC 7638 thumbprint of the public key, so it does not depend on the PEM encoding */
  kid: string;
  jwk: Jwk;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

interface PemBlock {
  label: string;
  text: string;
}

// A strict reading of a PEM bundle: every non-blank character must belong to a block, so a key
// pasted with a stray line or cut short is named instead of silently ignored (Node's own
// parsers read the first block and ignore the rest).
function pemBlocks(text: string): PemBlock[] | undefined {
  const pattern = /-----BEGIN ([A-Z0-9 ]{1,40})-----\r?\n[A-Za-z0-9+/=\r\n]+?-----END \1-----/g;
  const blocks = [...text.matchAll(pattern)].map((m) => ({ label: m[1] as string, text: m[0] }));
  const rest = text.replace(pattern, '');
  return rest.trim() === '' ? blocks : undefined;
}

function curveProblem(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType !== 'ec') return `is a key of type ${key.asymmetricKeyType ?? 'secret'}, not an EC P-256 key`;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === P256 ? undefined : `is on curve ${curve ?? 'unknown'}, not P-256 (ES256 needs P-256)`;
}

/** JWT_PRIVATE_KEY: one P-256 private key, PKCS#8 or SEC1 PEM. */
export function parseSigningKey(pem: string, name = 'JWT_PRIVATE_KEY'): Parsed<SigningKey> {
  const blocks = pemBlocks(pem);
  const labels = blocks?.map((b) => b.label) ?? [];
  if (!blocks || blocks.length !== 1 || !PRIVATE_KEY_LABELS.includes(labels[0] as string)) {
    const found = blocks ? `found ${blocks.length === 0 ? 'no PEM block' : labels.map((l) => `"${l}"`).join(', ')}` : 'found text outside PEM blocks';
    return { ok: false, problem: `${name} must be exactly one PEM block "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY" (SEC1); ${found}` };
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    return { ok: false, problem: `${name} could not be read as a private key: ${(error as Error).message}` };
  }
  const problem = curveProblem(key);
  if (problem) return { ok: false, problem: `${name} ${problem}` };
  const jwk = publicJwk(key);
  return { ok: true, value: { privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), kid: jwk.kid, jwk } };
}

/** JWT_ADDITIONAL_PUBLIC_KEYS: zero or more P-256 SPKI PEM public keys, concatenated. */
export function parsePublicKeys(text: string | undefined, name = 'JWT_ADDITIONAL_PUBLIC_KEYS'): Parsed<Jwk[]> {
  if (text === undefined || text.trim() === '') return { ok: true, value: [] };
  const blocks = pemBlocks(text);
  if (!blocks) return { ok: false, problem: `${name} must be PEM blocks "PUBLIC KEY" and nothing else; found text outside PEM blocks` };
  const jwks: Jwk[] = [];
  for (const [index, block] of blocks.entries()) {
    const which = `${name} key ${index + 1} of ${blocks.length}`;
    if (block.label !== PUBLIC_KEY_LABEL) return { ok: false, problem: `${which} is a "${block.label}" PEM block; only "PUBLIC KEY" (SPKI) blocks belong here — never a private key` };
    let key: KeyObject;
    try {
      key = createPublicKey(block.text);
    } catch (error) {
      return { ok: false, problem: `${which} could not be read as a public key: ${(error as Error).message}` };
    }
    const problem = curveProblem(key);
    if (problem) return { ok: false, problem: `${which} ${problem}` };
    // The PEM text, not the KeyObject: publicJwk's createPublicKey refuses a public KeyObject.
    jwks.push(publicJwk(block.text));
  }
  if (jwks.length > MAX_ADDITIONAL_PUBLIC_KEYS) return { ok: false, problem: `${name} holds ${jwks.length} keys; at most ${MAX_ADDITIONAL_PUBLIC_KEYS} (a rotation needs one or two)` };
  return { ok: true, value: jwks };
}

export interface AccessTokenKeys {
  signing: SigningKey;
  /** what /auth/.well-known/jwks.json serves: the active key first, then each additional key once */
  jwks: { keys: Jwk[] };
}

/** Both variables together; throws on a problem (the config rules have already named it at start-up). */
export function accessTokenKeys(config: { JWT_PRIVATE_KEY: string; JWT_ADDITIONAL_PUBLIC_KEYS?: string | undefined }): AccessTokenKeys {
  const signing = parseSigningKey(config.JWT_PRIVATE_KEY);
  if (!signing.ok) throw new Error(signing.problem);
  const additional = parsePublicKeys(config.JWT_ADDITIONAL_PUBLIC_KEYS);
  if (!additional.ok) throw new Error(additional.problem);
  // By kid, so the active key published again (phase 2 before the old key is dropped, or a copy
  // and paste) and repeated keys appear once: a JWKS with one kid twice is ambiguous.
  const byKid = new Map<string, Jwk>([[signing.value.kid, signing.value.jwk]]);
  for (const jwk of additional.value) if (!byKid.has(jwk.kid)) byKid.set(jwk.kid, jwk);
  return { signing: signing.value, jwks: { keys: [...byKid.values()] } };
}
