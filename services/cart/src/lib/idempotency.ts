// Idempotency-Key semantics shared by both stores (IETF httpapi draft "The Idempotency-Key HTTP
// Header Field"; Stripe): same key + same request → the stored response; same key + another
// request → 422; same key while the first is still running → 409.
import { createHash } from 'node:crypto';
import { HttpProblem } from '@anypod/platform';
import type { IdempotencyResult } from '@anypod/platform/anypod-metrics';

/** The response a key remembers, replayed byte for byte. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface IdempotencyRequest {
  key: string;
  fingerprint: string;
}

/** What a store knows about a key that was already claimed. */
export interface ExistingRecord {
  fingerprint: string;
  status: 'in_flight' | 'done';
  /** milliseconds left on an in-flight owner's lease, by the store's clock (0 = expired) */
  leaseLeftMs: number;
  response: StoredResponse | null;
}

/** The draft's structured-field form is a quoted string; the key is what is inside the quotes. */
export const normalizeKey = (header: string): string => header.replace(/^"(.*)"$/, '$1');

/** JSON with object keys sorted, so {"a":1,"b":2} and {"b":2,"a":1} are one request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** sha256 over method, route, path parameters and body: what "the same request" means here. */
export function requestFingerprint(method: string, route: string, params: unknown, body: unknown): string {
  return createHash('sha256').update(canonicalJson({ method, route, params: params ?? {}, body: body ?? {} })).digest('hex');
}

/** An add or edit whose key names a checkout that is not finished: wait for it like any in-flight key. */
export const unfinishedCheckout = () =>
  new HttpProblem(409, 'This Idempotency-Key belongs to an unfinished checkout; retry later with the same key.', { headers: { 'retry-after': '1' } });

/** Where a store reports what each key decided (anypod_idempotency_requests_total). */
export type IdempotencyObserver = (result: IdempotencyResult) => void;

/**
 * Decides what a request gets when its key is already taken: the stored response, or an error,
 * telling `observe` which (replay, conflict, in_progress). Returns 'lease-expired' when an
 * in-flight owner stopped renewing (it crashed): the caller may take the work over, and observes
 * what it does.
 */
export function resolveExisting(existing: ExistingRecord, fingerprint: string, observe: IdempotencyObserver): StoredResponse | 'lease-expired' {
  if (existing.fingerprint !== fingerprint) {
    observe('conflict');
    throw new HttpProblem(422, 'This Idempotency-Key was already used for a different request; use a new key for a new request.');
  }
  if (existing.status === 'done' && existing.response) {
    observe('replay');
    return existing.response;
  }
  const leaseLeftMs = existing.leaseLeftMs;
  if (leaseLeftMs <= 0) return 'lease-expired';
  observe('in_progress');
  throw new HttpProblem(409, 'A request with this Idempotency-Key is still being processed; retry later with the same key.', {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(leaseLeftMs / 1000))) },
  });
}
