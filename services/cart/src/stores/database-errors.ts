// Cart's use of the platform's database-error classification: deadlocks are retried inside the
// store (its writes are single statements or short transactions), transient trouble becomes 503.
import { HttpProblem, isDatabaseUnavailable, postgresCode } from '@anypod/platform';

/** Deadlock or serialization failure: Postgres rolled the transaction back; running it again is safe. */
export const isRetryableConflict = (error: unknown) => ['40001', '40P01'].includes(postgresCode(error) ?? '');

/** A 503 with Retry-After (and a hint to keep the key) for transient database trouble; else null. */
export function asUnavailable(error: unknown): HttpProblem | null {
  return isDatabaseUnavailable(error) ? new HttpProblem(503, 'The cart database is busy; retry shortly (with the same Idempotency-Key).', { headers: { 'retry-after': '1' } }) : null;
}
