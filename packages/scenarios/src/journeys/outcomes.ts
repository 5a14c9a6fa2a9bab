// What one HTTP attempt says about its operation, and whether to try again
// (docs/reliability.md, "Kill types", "Lost writes", "Idempotency keys"):
//   2xx (replays included)                          → ok
//   400/401/403/404/412/422/428 and other 4xx       → fail: the server refused, nothing happened
//   socket error, timeout, 5xx, 408                 → info: it may or may not have happened; retry
//   409 "still in flight"                           → info; retry with the same key
//   409 otherwise (empty cart, not enough stock)    → fail
//   connection refused before sending               → fail, but worth retrying (another replica)
//   429                                             → fail, retry after Retry-After
// A retry reuses the Idempotency-Key and the exact same bytes, so the server replays an effect
// that already happened instead of applying it twice.
import type { Outcome } from '../history.ts';
import type { HttpResponse } from '../requests.ts';

export interface AttemptVerdict {
  /** what this attempt alone says about the effect */
  outcome: Outcome;
  /** whether trying again could give a different answer */
  retryable: boolean;
  /** the server asked to wait this long (Retry-After), in ms */
  retryAfterMs?: number;
}

/**
 * `previous` are this operation's earlier attempts. A 409 means "a request with this key is still
 * in flight" only when one may be: an earlier attempt with no clear answer, or the server says so
 * with Retry-After (the cart sends it then). A first attempt with a fresh key cannot collide with
 * itself, so a plain 409 there is a definite conflict (the cart's empty-cart or out-of-stock 409).
 */
export function classifyAttempt(response: HttpResponse, previous: readonly AttemptVerdict[] = []): AttemptVerdict {
  const { status } = response;
  if (status === 0) return response.notSent ? { outcome: 'fail', retryable: true } : { outcome: 'info', retryable: true };
  if (status >= 200 && status < 300) return { outcome: 'ok', retryable: false };
  // 304 answers a conditional GET: the client's copy is current.
  if (status === 304) return { outcome: 'ok', retryable: false };
  if (status >= 500 || status === 408) return { outcome: 'info', retryable: true, ...retryAfter(response) };
  if (status === 409) {
    const inFlight = response.headers['retry-after'] !== undefined || previous.some((v) => v.outcome === 'info');
    // The same Idempotency-Key is still being processed (by a replica that may since have died).
    return inFlight ? { outcome: 'info', retryable: true, ...retryAfter(response) } : { outcome: 'fail', retryable: false };
  }
  if (status === 429) return { outcome: 'fail', retryable: true, ...retryAfter(response) };
  return { outcome: 'fail', retryable: false };
}

function retryAfter(response: HttpResponse): { retryAfterMs?: number } {
  const value = response.headers['retry-after'];
  if (value === undefined) return {};
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? { retryAfterMs: seconds * 1000 } : {};
}

/**
 * The operation's outcome from all its attempts. The last answer decides, except that a refusal
 * after an indeterminate attempt proves nothing about that attempt: a PATCH that landed and was
 * retried with the same If-Match gets 412 precisely because it landed. Such an operation stays info.
 */
export function combineOutcome(verdicts: readonly AttemptVerdict[]): Outcome {
  const last = verdicts[verdicts.length - 1];
  if (!last) return 'info';
  if (last.outcome !== 'fail') return last.outcome;
  return verdicts.slice(0, -1).some((v) => v.outcome === 'info') ? 'info' : 'fail';
}

export interface RetryPolicy {
  /** retries after the first attempt (the brief and the k6 scripts use 3) */
  maxRetries: number;
  /** first backoff; doubles per retry, with jitter, capped at maxDelayMs */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Retry-After is honoured up to this */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 2_000 };

/** Wait before retry number `retry` (1-based): exponential with "equal jitter", at least Retry-After. */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number, verdict?: AttemptVerdict): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jittered = Math.round(cap / 2 + random() * (cap / 2));
  const asked = verdict?.retryAfterMs === undefined ? 0 : Math.min(verdict.retryAfterMs, policy.maxRetryAfterMs);
  return Math.max(jittered, asked);
}
