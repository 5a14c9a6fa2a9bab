// What became of each request's access token: accepted (with its session), or rejected and why.
// One verdict per request, counted once its response is sent, so a route that checks twice, or
// auth's own revocation check after the signature was accepted, still counts the request once,
// by its final verdict.
import type { FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { tokenVerificationsCounter, type TokenRejectionReason } from './anypod-metrics.ts';
import { HttpProblem } from './problem.ts';

type Verdict = { result: 'accepted'; sid: string | undefined } | { result: 'rejected'; reason: TokenRejectionReason };

/** A refusal whose reason the verifier knows when it throws (the JWKS key lookup). */
export class TokenRejection extends HttpProblem {
  constructor(
    readonly reason: TokenRejectionReason,
    status: number,
    detail: string,
    extra: HttpProblem['extra'] = {},
  ) {
    super(status, detail, extra);
  }
}

// @fastify/jwt's own codes, and fast-jwt's (FAST_JWT_*) for the errors @fastify/jwt passes through
// unwrapped: https://github.com/fastify/fastify-jwt/blob/main/index.js (wrapError, lookupToken).
const BY_CODE: Record<string, TokenRejectionReason> = {
  FST_JWT_NO_AUTHORIZATION_IN_HEADER: 'missing',
  FST_JWT_BAD_REQUEST: 'malformed',
  FAST_JWT_MALFORMED: 'malformed',
  FAST_JWT_INVALID_PAYLOAD: 'malformed',
  FAST_JWT_INVALID_CRIT_HEADER: 'malformed',
  FST_JWT_AUTHORIZATION_TOKEN_EXPIRED: 'expired',
  FAST_JWT_EXPIRED: 'expired',
  FAST_JWT_MISSING_SIGNATURE: 'invalid_signature',
  FAST_JWT_INVALID_ALGORITHM: 'invalid_signature',
  FAST_JWT_INVALID_SIGNATURE: 'invalid_signature',
  FAST_JWT_INVALID_TYPE: 'invalid_claims', // typ is not at+jwt
  FAST_JWT_INACTIVE: 'invalid_claims', // nbf in the future
  FAST_JWT_INVALID_CLAIM_TYPE: 'invalid_claims',
  FAST_JWT_INVALID_CLAIM_VALUE: 'invalid_claims',
  FAST_JWT_MISSING_REQUIRED_CLAIM: 'invalid_claims',
  FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED: 'revoked',
};

/** Why verification failed, from the error the verifier threw. */
export function rejectionReason(error: unknown): TokenRejectionReason {
  if (error instanceof TokenRejection) return error.reason;
  const { code, message } = error as { code?: unknown; message?: unknown };
  // @fastify/jwt folds several of fast-jwt's errors into one code; only fast-jwt's message, which
  // it keeps, tells them apart ("The token is malformed.", "The token signature is invalid.",
  // "The iss claim value is not allowed."…).
  if (code === 'FST_JWT_AUTHORIZATION_TOKEN_INVALID') {
    const text = String(message);
    if (/malformed|not a valid|must be an object/i.test(text)) return 'malformed';
    if (/expired/i.test(text)) return 'expired';
    if (/signature|key|algorithm/i.test(text)) return 'invalid_signature';
    return 'invalid_claims';
  }
  // Anything else failed while reading the token itself.
  return (typeof code === 'string' && BY_CODE[code]) || 'malformed';
}

export class TokenVerdicts {
  private readonly verdicts = new WeakMap<FastifyRequest, Verdict>();
  private readonly counter;

  constructor(registry: Registry) {
    this.counter = tokenVerificationsCounter(registry);
  }

  accepted(request: FastifyRequest, sid: unknown): void {
    this.verdicts.set(request, { result: 'accepted', sid: typeof sid === 'string' && sid.length > 0 ? sid : undefined });
  }

  rejected(request: FastifyRequest, error: unknown): void {
    this.verdicts.set(request, { result: 'rejected', reason: rejectionReason(error) });
  }

  /** The token was valid but its login has since been signed out (auth's check in Postgres). */
  revoked(request: FastifyRequest): void {
    this.verdicts.set(request, { result: 'rejected', reason: 'revoked' });
  }

  /** The session (sid claim) of a request whose token was accepted; undefined otherwise. */
  sessionOf(request: FastifyRequest): string | undefined {
    const verdict = this.verdicts.get(request);
    return verdict?.result === 'accepted' ? verdict.sid : undefined;
  }

  /** Counts the request's verdict, if its token was checked at all (onResponse). */
  count(request: FastifyRequest): void {
    const verdict = this.verdicts.get(request);
    if (!verdict) return;
    this.counter.inc(verdict.result === 'accepted' ? { result: 'accepted', reason: 'none' } : { result: 'rejected', reason: verdict.reason });
  }
}
