// Stateless access-token verification for every service: ES256 signatures checked against the
// auth service's JWKS (fetched once, cached by kid — no call to auth per request), algorithm
// pinned, iss/aud/exp/typ validated (RFC 8725), plus a Redis denylist by jti so a logout is
// honoured by every replica. The auth service passes its own key pair instead of a JWKS URL.
import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import jwt from '@fastify/jwt';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { VerifyOptions } from '@fastify/jwt';
import fp from 'fastify-plugin';
import buildGetJwks from 'get-jwks';
import type { TokenVerifierConfig } from './config.ts';
import { HttpProblem } from './problem.ts';
import { rejectionReason, TokenRejection, TokenVerdicts } from './token-verdicts.ts';

export const ACCESS_TOKEN_ALGORITHM = 'ES256' as const;
export const ACCESS_TOKEN_TYPE = 'at+jwt'; // RFC 9068

export interface AccessTokenClaims {
  sub: string;
  role: 'user' | 'admin';
  jti: string;
  /** refresh-token family (bearer login) or session id (cookie login) the token belongs to */
  sid: string;
  iat?: number;
  exp?: number;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenClaims;
    user: AccessTokenClaims;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: 401 unless the request carries a valid, non-revoked access token */
    authenticate: (request: FastifyRequest) => Promise<void>;
    /** preHandler factory: 403 unless the authenticated user has the role */
    requireRole: (role: AccessTokenClaims['role']) => (request: FastifyRequest) => Promise<void>;
    /** marks a token id revoked on every replica until it would have expired anyway */
    denyAccessToken: (jti: string, expiresAtSeconds: number) => Promise<void>;
    /** each request's verdict on its token: counted in anypod_token_verifications_total, its session for the session metric */
    tokenVerdicts: TokenVerdicts;
  }
}

export interface TokenVerifierOptions {
  issuer: string;
  audience: string;
  /** where other services find the public keys, e.g. http://auth:3000/auth/.well-known/jwks.json */
  jwksUrl?: string;
  /** the auth service signs with this key (PEM, PKCS#8, P-256) */
  signing?: { privateKeyPem: string; kid: string; expiresInSeconds: number };
}

/** Options for a service that verifies auth's tokens with its JWKS, from the shared config fragment. */
export function jwksTokenOptions(config: TokenVerifierConfig): TokenVerifierOptions {
  return { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, jwksUrl: config.AUTH_JWKS_URL };
}

const KID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/; // RFC 7638 thumbprints are base64url; reject anything else

const denylistKey = (jti: string) => `denylist:${jti}`;

async function tokenVerifier(fastify: FastifyInstance, opts: TokenVerifierOptions) {
  const verify = {
    algorithms: [ACCESS_TOKEN_ALGORITHM] as VerifyOptions['algorithms'],
    allowedIss: opts.issuer,
    allowedAud: opts.audience,
    requiredClaims: ['sub', 'jti', 'exp', 'iat', 'iss', 'aud'],
    checkTyp: ACCESS_TOKEN_TYPE,
    clockTolerance: 5,
  };

  if (opts.signing) {
    const publicKey = createPublicKey(opts.signing.privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
    await fastify.register(jwt, {
      secret: { private: opts.signing.privateKeyPem, public: publicKey },
      // A numeric expiresIn is seconds in @fastify/jwt.
      sign: { algorithm: ACCESS_TOKEN_ALGORITHM, iss: opts.issuer, aud: opts.audience, kid: opts.signing.kid, expiresIn: opts.signing.expiresInSeconds, header: { alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE } },
      verify,
    });
  } else if (opts.jwksUrl) {
    const url = new URL(opts.jwksUrl);
    // get-jwks caches the JWK (one object per kid until its ttl), but its getPublicKey() converts
    // it to PEM on every call with jwk-to-pem, which builds the P-256 curve in JavaScript: 16–36 ms
    // per verification here (bench/stages/jwt.ts: 61 verifications/s). Node's crypto converts in
    // 0.4 ms, once per cached JWK object, so a refreshed or rotated JWKS is converted afresh.
    const pems = new WeakMap<object, string>();
    const publicKeyPem = (jwk: JsonWebKey): string => {
      let pem = pems.get(jwk);
      if (pem === undefined) {
        pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
        pems.set(jwk, pem);
      }
      return pem;
    };
    const getJwks = buildGetJwks({ providerDiscovery: false, jwksPath: url.pathname, max: 20, ttl: 10 * 60_000, issuersWhitelist: [url.origin] });
    await fastify.register(jwt, {
      decode: { complete: true },
      secret: async (request: FastifyRequest, token: unknown) => {
        const header = (token as { header?: { kid?: unknown; alg?: unknown } }).header ?? {};
        if (typeof header.kid !== 'string' || !KID_PATTERN.test(header.kid)) throw new TokenRejection('unknown_key', 401, 'The access token has no valid key id.');
        if (header.alg !== ACCESS_TOKEN_ALGORITHM) throw new TokenRejection('invalid_signature', 401, 'The access token uses an algorithm this service does not accept.');
        try {
          return publicKeyPem(await getJwks.getJwk({ domain: url.origin, alg: header.alg, kid: header.kid }));
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (code === 'JWK_NOT_FOUND' || code === 'NO_JWKS') {
            throw new TokenRejection('unknown_key', 401, 'The access token was signed with a key auth does not publish.', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
          }
          // Auth could not be asked (a replica being deleted, a network fault): the token may well
          // be valid, so this is no reason to sign the user out — the client retries.
          request.log.warn({ err: (error as Error).message }, 'could not fetch the JWKS to verify an access token');
          throw new TokenRejection('keys_unavailable', 503, 'The keys that verify access tokens could not be fetched from auth; retry shortly.', { headers: { 'retry-after': '1' } });
        }
      },
      verify,
    });
  } else {
    throw new Error('token-verifier needs either signing keys or a jwksUrl');
  }

  fastify.decorate('denyAccessToken', async (jti: string, expiresAtSeconds: number) => {
    const ttl = Math.max(1, expiresAtSeconds - Math.floor(Date.now() / 1000));
    await fastify.redis.set(denylistKey(jti), '1', 'EX', ttl);
  });

  const verdicts = new TokenVerdicts(fastify.metrics);
  fastify.decorate('tokenVerdicts', verdicts);
  fastify.addHook('onResponse', (request, _reply, done) => {
    verdicts.count(request);
    done();
  });

  fastify.decorate('authenticate', async (request: FastifyRequest) => {
    try {
      await verifyAccessToken(request);
      verdicts.accepted(request, request.user.sid);
      // The session on the request's span: a trace search by session.id shows which pods served
      // one user's session (the proof report does). Not the user id: the session id names no one.
      trace.getActiveSpan()?.setAttribute('session.id', request.user.sid);
    } catch (error) {
      verdicts.rejected(request, error);
      throw error;
    }
  });

  async function verifyAccessToken(request: FastifyRequest): Promise<void> {
    try {
      await request.jwtVerify();
    } catch (error) {
      if (error instanceof HttpProblem) throw error;
      throw new TokenRejection(rejectionReason(error), 401, `Invalid or missing access token: ${(error as Error).message}`, { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    }
    let denied = false;
    try {
      denied = (await fastify.redis.exists(denylistKey(request.user.jti))) === 1;
    } catch (error) {
      // Fail open: access tokens live minutes, and refusing every request while Redis is down
      // would turn a cache outage into a full outage. Logout still revokes the refresh family
      // in Postgres, so the session cannot be extended.
      request.log.warn({ err: (error as Error).message }, 'denylist unavailable; accepting signed token');
    }
    if (denied) throw new TokenRejection('revoked', 401, 'The access token was revoked.', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
  }

  fastify.decorate('requireRole', (role: AccessTokenClaims['role']) => async (request: FastifyRequest) => {
    if (request.user?.role !== role) throw new HttpProblem(403, `This action needs the ${role} role.`);
  });
}

export default fp(tokenVerifier, { name: 'token-verifier', fastify: '5.x', dependencies: ['redis', 'metrics'] });

/** JWK for the public half of a signing key, with its RFC 7638 thumbprint as kid. */
export function publicJwk(privateOrPublicKey: string | KeyObject): { kty: string; crv: string; x: string; y: string; kid: string; alg: string; use: string } {
  const jwk = createPublicKey(privateOrPublicKey).export({ format: 'jwk' }) as { kty: string; crv: string; x: string; y: string };
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwkThumbprint(jwk), alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' };
}

function jwkThumbprint(jwk: { kty: string; crv: string; x: string; y: string }): string {
  // RFC 7638: the required members in lexicographic order, no whitespace, SHA-256, base64url.
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}
