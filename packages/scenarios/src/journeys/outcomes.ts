// What one HTTP attempt says about its operation, and whether to try again
// (docs/reliability.md, "Kill types", "Lost writes", "Idempotency keys"):
//   2xx (replays included)                          → ok
//   400/401/403/404/412/422/428 and other 4xx       → fail: the server refused, nothing happened
//   socket error, timeout, 5xx, 408                 → info: it may or may not have happened; retry
//   409 with Retry-After                            → info: the key is still in flight; retry
//   409 without (empty cart, not enough stock, …)   → fail: the key's final answer
//   connection refused before sending               → fail, but worth retrying (another replica)
//   429                                             → fail, retry after Retry-After
// A retry reuses the Idempotency-Key and the exact same bytes, so the server replays an effect
// that already happened instead of applying it twice. Retries go on until the operation's
// deadline (RetryPolicy.deadlineMs), not for a number of attempts: the server says how long to
// wait (Retry-After), and the deadline is what covers the worst case the server can need
// (services/cart/README.md, "Timing of a checkout").
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
 * Every "still in flight" 409 carries Retry-After (the cart sizes it to the lease left); any other
 * 409 is a final answer, even after an unclear attempt. `previous` are this operation's earlier
 * verdicts, for operation-specific readings that need them (see OperationSpec.classify).
 */
export function classifyAttempt(response: HttpResponse, _previous: readonly AttemptVerdict[] = []): AttemptVerdict {
  const { status } = response;
  if (status === 0) return response.notSent ? { outcome: 'fail', retryable: true } : { outcome: 'info', retryable: true };
  if (status >= 200 && status < 300) return { outcome: 'ok', retryable: false };
  // 304 answers a conditional GET: the client's copy is current.
  if (status === 304) return { outcome: 'ok', retryable: false };
  if (status >= 500 || status === 408) return { outcome: 'info', retryable: true, ...retryAfter(response) };
  if (status === 409) {
    // The same Idempotency-Key is still being processed (by a replica that may since have died).
    return response.headers['retry-after'] !== undefined ? { outcome: 'info', retryable: true, ...retryAfter(response) } : { outcome: 'fail', retryable: false };
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
 * after an indeterminate attempt proves nothing about that attempt when the request carries no
 * Idempotency-Key: a PATCH that landed and was retried with the same If-Match gets 412 precisely
 * because it landed. Such an operation stays info. With a key, the server answers a retry with
 * the key's recorded outcome (or applies the request for the first time), so its answer is final.
 */
export function combineOutcome(verdicts: readonly AttemptVerdict[], keyed = false): Outcome {
  const last = verdicts[verdicts.length - 1];
  if (!last) return 'info';
  if (last.outcome !== 'fail' || keyed) return last.outcome;
  return verdicts.slice(0, -1).some((v) => v.outcome === 'info') ? 'info' : 'fail';
}

export interface RetryPolicy {
  /** how long one operation keeps retrying, from its first attempt (ms); no attempt starts after it */
  deadlineMs: number;
  /** first backoff; doubles per retry, with jitter, capped at maxDelayMs */
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * The deadline covers the cart's worst case with its default settings: a checkout whose replica
 * died or hung is answered within `checkoutTiming(defaults).clientDeadlineMs` (21.6 s; checked by
 * services/cart/test/checkout-timing.test.ts). A server configured slower needs a longer one.
 */
export const DEFAULT_RETRY: RetryPolicy = { deadlineMs: 30_000, baseDelayMs: 100, maxDelayMs: 1_000 };

/** Wait before retry number `retry` (1-based): exponential with "equal jitter", at least Retry-After. */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number, verdict?: AttemptVerdict): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jittered = Math.round(cap / 2 + random() * (cap / 2));
  return Math.max(jittered, verdict?.retryAfterMs ?? 0);
}
