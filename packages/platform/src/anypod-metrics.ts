// The services' own metric families, each defined once: name, help text, and every value each
// label may take. The dashboards (tools/dashboards), the alert rules (helm/anypod/rules) and the
// naming test read the same names. Conventions (Prometheus "Metric and label naming"): base
// units in the name, `_total` on counters, labels with bounded values only. No label names the
// pod or the service: Prometheus attaches `namespace`, `pod` and `container` from discovery.
import type { Registry } from 'prom-client';
import { boundedCounter, boundedHistogram, type LabelSets } from './bounded-metrics.ts';

export const HTTP_STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;
export const CART_WRITE_OPERATIONS = ['add_item', 'set_quantity', 'remove_item', 'checkout'] as const;
export const WRITE_OUTCOMES = ['ok', 'rejected', 'error'] as const;
export const IDEMPOTENCY_RESULTS = ['first', 'replay', 'conflict', 'takeover', 'in_progress'] as const;
export const CACHES = ['product', 'listing', 'session'] as const;
export const CACHE_RESULTS = ['hit', 'miss', 'bypass'] as const;
export const TOKEN_RESULTS = ['accepted', 'rejected'] as const;
export const TOKEN_REASONS = ['none', 'missing', 'malformed', 'invalid_signature', 'invalid_claims', 'expired', 'unknown_key', 'revoked', 'keys_unavailable'] as const;
export const CATALOG_OPERATIONS = ['reserve', 'confirm', 'release'] as const;
export const CATALOG_CALL_OUTCOMES = ['ok', 'client_error', 'server_error', 'timeout', 'unavailable'] as const;
export const RESERVATION_EVENTS = ['created', 'committed', 'released', 'expired'] as const;
export const PREVIOUS_POD = ['same', 'other', 'none'] as const;

export type WriteOutcome = (typeof WRITE_OUTCOMES)[number];
export type IdempotencyResult = (typeof IDEMPOTENCY_RESULTS)[number];
export type CacheName = (typeof CACHES)[number];
export type CacheResult = (typeof CACHE_RESULTS)[number];
export type TokenRejectionReason = Exclude<(typeof TOKEN_REASONS)[number], 'none'>;
export type CatalogOperation = (typeof CATALOG_OPERATIONS)[number];
export type CatalogCallOutcome = (typeof CATALOG_CALL_OUTCOMES)[number];
export type ReservationEvent = (typeof RESERVATION_EVENTS)[number];
export type PreviousPod = (typeof PREVIOUS_POD)[number];

/** Request and catalog-call durations: 5 ms to 5 s, where a user notices the difference. */
export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** 2xx… from a status code (Fastify never answers 1xx as a final status). */
export const statusClassOf = (status: number) => `${Math.min(5, Math.max(2, Math.floor(status / 100)))}xx` as (typeof HTTP_STATUS_CLASSES)[number];
/** A write's outcome as a user sees it: done, refused (their request or its timing), or failed on our side. */
export const writeOutcomeOf = (status: number): WriteOutcome => (status < 400 ? 'ok' : status < 500 ? 'rejected' : 'error');

interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  labels: LabelSets;
}

// The families, as data: the factories below build them, the naming test checks what a service
// exposes against them (names, types, label names and every label value).
export const FAMILIES = {
  httpRequestDuration: {
    name: 'http_request_duration_seconds',
    type: 'histogram',
    help: 'Time from receiving an HTTP request to sending its response, by method, route template and status code (/metrics itself not counted)',
    labels: {},
  },
  httpRequests: {
    name: 'http_requests_total',
    type: 'counter',
    help: 'HTTP requests answered, by method, route template ("unmatched" when no route matched) and status class (/metrics itself not counted)',
    labels: { status_class: HTTP_STATUS_CLASSES },
  },
  httpRequestsInFlight: {
    name: 'http_requests_in_flight',
    type: 'gauge',
    help: 'HTTP requests received and not answered yet (/metrics itself not counted)',
    labels: {},
  },
  cartWrites: {
    name: 'anypod_cart_writes_total',
    type: 'counter',
    help: 'Cart write requests answered, by operation and outcome: ok (2xx), rejected (4xx: invalid, stale, conflicting or unauthenticated), error (5xx)',
    labels: { operation: CART_WRITE_OPERATIONS, outcome: WRITE_OUTCOMES },
  },
  idempotency: {
    name: 'anypod_idempotency_requests_total',
    type: 'counter',
    help: 'Requests with an Idempotency-Key (cart) or a reservation id (catalog), by what the key decided: first (executed), replay (the earlier answer returned), conflict (key reused for another request), in_progress (an earlier request with the key still runs), takeover (a checkout resumed after its owner stopped)',
    labels: { result: IDEMPOTENCY_RESULTS },
  },
  cacheRequests: {
    name: 'anypod_cache_requests_total',
    type: 'counter',
    help: 'Reads through a Redis cache, by cache and result: hit, miss (loaded from Postgres and stored), bypass (Redis unavailable: read from Postgres)',
    labels: { cache: CACHES, result: CACHE_RESULTS },
  },
  cacheLoads: {
    name: 'anypod_cache_loads_total',
    type: 'counter',
    help: 'Postgres loads behind a cache after concurrent misses of one key were merged into one (single-flight), by cache',
    labels: { cache: CACHES },
  },
  tokenVerifications: {
    name: 'anypod_token_verifications_total',
    type: 'counter',
    help: 'Access tokens checked, one per request that needs one, by result and the reason of a rejection (none when accepted)',
    labels: { result: TOKEN_RESULTS, reason: TOKEN_REASONS },
  },
  catalogCalls: {
    name: 'anypod_catalog_calls_total',
    type: 'counter',
    help: 'HTTP requests cart made to catalog, each retry counted, by operation and outcome: ok (2xx), client_error (4xx), server_error (5xx or an unusable answer), timeout (no answer within CATALOG_TIMEOUT_MS), unavailable (no connection)',
    labels: { operation: CATALOG_OPERATIONS, outcome: CATALOG_CALL_OUTCOMES },
  },
  catalogCallDuration: {
    name: 'anypod_catalog_call_duration_seconds',
    type: 'histogram',
    help: 'Time of each HTTP request cart made to catalog, until its answer, error or timeout, by operation',
    labels: { operation: CATALOG_OPERATIONS },
  },
  reservations: {
    name: 'anypod_reservations_total',
    type: 'counter',
    help: 'Stock reservations by event: created (stock taken), committed (confirmed: sold), released (given back by its checkout), expired (its hold ran out: stock returned)',
    labels: { event: RESERVATION_EVENTS },
  },
  sessionRequests: {
    name: 'anypod_session_requests_total',
    type: 'counter',
    help: 'Requests with an accepted access token, by the pod that served the previous request of the same session (sid claim) to this service: same, other, or none (first seen, or idle over 30 minutes); not counted while Redis is unavailable',
    labels: { previous_pod: PREVIOUS_POD },
  },
} as const satisfies Record<string, Family>;

/** Label names a service's own families may carry (the route template and method are bounded by the routes a service registers). */
export const ALLOWED_LABELS = ['method', 'route', 'status_code', 'status_class', 'operation', 'outcome', 'result', 'cache', 'reason', 'event', 'previous_pod'] as const;

export const cartWritesCounter = (registry: Registry) => boundedCounter(registry, FAMILIES.cartWrites);
export const idempotencyCounter = (registry: Registry) => boundedCounter(registry, FAMILIES.idempotency);
export const reservationsCounter = (registry: Registry) => boundedCounter(registry, FAMILIES.reservations);
export const sessionRequestsCounter = (registry: Registry) => boundedCounter(registry, FAMILIES.sessionRequests);
export const catalogCallsCounter = (registry: Registry) => boundedCounter(registry, FAMILIES.catalogCalls);
export const catalogCallDurationHistogram = (registry: Registry) => boundedHistogram(registry, { ...FAMILIES.catalogCallDuration, buckets: DURATION_BUCKETS_SECONDS });

/** Accepted tokens have reason "none"; rejected ones never do. */
export const tokenVerificationsCounter = (registry: Registry) =>
  boundedCounter(registry, { ...FAMILIES.tokenVerifications, only: ({ result, reason }) => (result === 'accepted') === (reason === 'none') });

/** A service exposes only the caches it has (catalog: product and listing, auth: session). */
export const cacheRequestsCounter = <C extends CacheName>(registry: Registry, caches: readonly C[]) =>
  boundedCounter(registry, { ...FAMILIES.cacheRequests, labels: { cache: caches, result: CACHE_RESULTS } });

/** Only for a cache that merges concurrent misses (catalog's): elsewhere a load is simply a miss or a bypass. */
export const cacheLoadsCounter = <C extends CacheName>(registry: Registry, caches: readonly C[]) =>
  boundedCounter(registry, { ...FAMILIES.cacheLoads, labels: { cache: caches } });
