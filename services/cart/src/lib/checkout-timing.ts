// The one rule that ties a checkout's lease, its heartbeat, the catalog call budget, the stock
// reservation's lifetime and the client's retry deadline together — across cart, catalog and
// every client (README "Timing of a checkout" explains it with the defaults). Everything is
// derived here from three settings, so no two numbers can be tuned against each other by hand.
//
//   catalogCallMs  one catalog call, every retry included             (CATALOG_TIMEOUT_MS, CATALOG_RETRIES)
//   workMs         an owner's own deadline: reserve + confirm + the short transactions around them
//   leaseMs        how long a silent owner keeps the key               (IDEMPOTENCY_LEASE_SECONDS)
//   heartbeatMs    how often a working owner renews it: three times per lease, so one slow
//                  renewal does not lose it; renewing stops at workMs, so a hung owner loses it
//   holdSeconds    how long catalog must hold the stock: longer than the owner can work, so an
//                  owner within its deadline never meets an expired reservation (catalog caps it
//                  with RESERVATION_MAX_HOLD_SECONDS and answers the hold it granted)
//   clientDeadlineMs  how long a client must keep retrying one checkout with its key to always
//                  get the server's answer: the first owner works (or hangs) until its deadline,
//                  its lease lapses one lease later, the client's retry comes at most a second
//                  after that (Retry-After is whole seconds), and the owner that takes over needs
//                  its own deadline.
import { worstCaseCallMs } from '../plugins/external/catalog.ts';

export interface CheckoutTimingSettings {
  IDEMPOTENCY_LEASE_SECONDS: number;
  CATALOG_TIMEOUT_MS: number;
  CATALOG_RETRIES: number;
}

export interface CheckoutTiming {
  catalogCallMs: number;
  workMs: number;
  leaseMs: number;
  heartbeatMs: number;
  holdSeconds: number;
  clientDeadlineMs: number;
}

/** The transactions of one checkout (claim, pre-check, order) take milliseconds; this is their allowance. */
const TRANSACTIONS_MS = 1000;
/** Retry-After is whole seconds: a client may come back up to a second after the lease lapsed. */
const RETRY_AFTER_ROUNDING_MS = 1000;
/** The hold starts after the claim; this covers the two services' clocks running at slightly different rates. */
const HOLD_MARGIN_MS = 1000;

export function checkoutTiming(settings: CheckoutTimingSettings): CheckoutTiming {
  const catalogCallMs = worstCaseCallMs({ timeoutMs: settings.CATALOG_TIMEOUT_MS, retries: settings.CATALOG_RETRIES });
  const workMs = 2 * catalogCallMs + TRANSACTIONS_MS;
  const leaseMs = settings.IDEMPOTENCY_LEASE_SECONDS * 1000;
  return {
    catalogCallMs,
    workMs,
    leaseMs,
    heartbeatMs: Math.floor(leaseMs / 3),
    holdSeconds: Math.ceil((workMs + HOLD_MARGIN_MS) / 1000),
    clientDeadlineMs: workMs + leaseMs + RETRY_AFTER_ROUNDING_MS + workMs,
  };
}
