// Which Postgres failures are the request's fault and which are the moment's. Prisma reports the
// SQLSTATE in different places depending on the query kind (a raw query wraps it in P2010's
// meta, a model query throws the DriverAdapterError itself) and the error kind (a deadlock is
// kind TransactionWriteConflict with only `originalCode`), so look in each.
import { HttpProblem } from '@anypod/platform';

/** The five-character SQLSTATE behind a Prisma error, if there is one. */
export function postgresCode(error: unknown): string | undefined {
  type Cause = { code?: unknown; originalCode?: unknown } | undefined;
  const e = error as { name?: string; meta?: { driverAdapterError?: { cause?: Cause } }; cause?: Cause } | undefined;
  const cause = e?.meta?.driverAdapterError?.cause ?? (e?.name === 'DriverAdapterError' ? e.cause : undefined);
  const candidates = [cause?.originalCode, cause?.code];
  return candidates.find((code): code is string => typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code));
}

/** Deadlock or serialization failure: Postgres rolled the transaction back; running it again is safe. */
export const isRetryableConflict = (error: unknown) => ['40001', '40P01'].includes(postgresCode(error) ?? '');

// Statement or lock timeout, too many connections, admin shutdown, connection failures (class 08):
// the database is overloaded or going away. Clients should retry (with the same key), not give up.
const TRANSIENT = new Set(['57014', '55P03', '53300', '53400', '57P01', '57P02', '57P03']);

/** A 503 with Retry-After for transient database trouble (including Prisma's P2028, no transaction slot in time); else null. */
export function asUnavailable(error: unknown): HttpProblem | null {
  const code = postgresCode(error);
  const transient = (error as { code?: string } | undefined)?.code === 'P2028' || (code !== undefined && (TRANSIENT.has(code) || code.startsWith('08')));
  return transient ? new HttpProblem(503, 'The cart database is busy; retry shortly (with the same Idempotency-Key).', { headers: { 'retry-after': '1' } }) : null;
}
