// The operation history recorded by a load run, in the shape Jepsen's checkers use:
// every logical operation is invoked once and completes as ok, fail or info (indeterminate).
// Plain data only: this module is imported by k6 scripts too, so no Node built-ins.

/** What a logical operation did. */
export type OperationKind =
  | 'register'
  | 'login'
  | 'browse'
  | 'add' // POST /cart/items {productId, quantity}: commutative increment
  | 'set' // PATCH /cart/items/:productId {quantity} with If-Match
  | 'remove' // DELETE /cart/items/:productId with If-Match
  | 'checkout' // POST /cart/checkout: cart lines become an order
  | 'read'; // GET /cart or /auth/me

/**
 * ok   = the server acknowledged it (2xx, or a replayed 2xx);
 * fail = it certainly did not happen (4xx other than 409-in-flight, or a connection refused before sending);
 * info = unknown: timeout, reset mid-request, most 5xx — it may or may not have been applied.
 */
export type Outcome = 'ok' | 'fail' | 'info';

export interface Attempt {
  /** ms since the run started */
  startMs: number;
  durationMs: number;
  /** HTTP status, or 0 for a socket-level failure */
  status: number;
  /** X-Served-By of the answer, when there was an answer */
  servedBy?: string;
  /** error code or problem title for failures */
  error?: string;
}

export interface Operation {
  /** unique per run */
  id: string;
  /** virtual user that ran it; one VU = one user account = one session */
  vu: number;
  /** user the operation belongs to (the cart owner) */
  user: string;
  kind: OperationKind;
  /** Idempotency-Key used for every attempt of this operation (writes only) */
  idempotencyKey?: string;
  /** for add/set/remove */
  productId?: string;
  /** add: quantity added; set: the new quantity */
  quantity?: number;
  /** checkout: the order id from the acknowledged response */
  orderId?: string;
  outcome: Outcome;
  /** every HTTP attempt made for this operation (retries reuse the idempotency key) */
  attempts: Attempt[];
}

/** What the final read-back found for one user: live cart lines and every order's lines. */
export interface FinalState {
  user: string;
  cart: Array<{ productId: string; quantity: number }>;
  orders: Array<{ id: string; lines: Array<{ productId: string; quantity: number }> }>;
}
