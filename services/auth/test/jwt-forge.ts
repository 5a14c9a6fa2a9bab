// Hand-built JWTs for attack tests: tokens the server must reject (expired, wrong algorithm,
// alg:none, tampered). Built with node:crypto so they do not depend on the library under test.
import { createHmac, createPrivateKey, createPublicKey, sign } from 'node:crypto';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function forgeEs256(header: Record<string, unknown>, payload: Record<string, unknown>, privateKeyPem: string): string {
  const input = `${b64({ alg: 'ES256', typ: 'at+jwt', ...header })}.${b64(payload)}`;
  const signature = sign('sha256', Buffer.from(input), { key: createPrivateKey(privateKeyPem), dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** The classic key-confusion attack: HS256 keyed with the server's public key. */
export function forgeHs256WithPublicKey(header: Record<string, unknown>, payload: Record<string, unknown>, privateKeyPem: string): string {
  const publicPem = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  const input = `${b64({ ...header, alg: 'HS256', typ: 'at+jwt' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
}

export function forgeNone(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64({ ...header, alg: 'none', typ: 'at+jwt' })}.${b64(payload)}.`;
}

export function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] as string, 'base64url').toString()) as Record<string, unknown>;
}
