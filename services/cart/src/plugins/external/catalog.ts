// The catalog client: reserves stock (learning unit prices), then confirms or releases the
// reservation. Catalog applies each call once per reservationId, which is what makes retrying
// safe — on a timeout, a reset or a 5xx this client retries (at most CATALOG_RETRIES times) with
// the same id. Each attempt is bounded by CATALOG_TIMEOUT_MS so a slow catalog costs a bounded
// wait, never a hung request (worstCaseCallMs: the budget lib/checkout-timing.ts builds on).
// W3C trace context is added by the OpenTelemetry undici instrumentation when tracing is on.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { catalogCallDurationHistogram, catalogCallsCounter, type CatalogCallOutcome, type CatalogOperation } from '@anypod/platform/anypod-metrics';
import { ReservationAnswerSchema, type ReservationAnswer, type ReservationRequest as ReservationRequestBody } from '@anypod/contracts';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Agent, request } from 'undici';

// Catalog's reservation API as @anypod/contracts defines it for both sides; what cart reads of an
// answer (ReservationAnswerSchema: the lines with their prices, the status, the hold granted) is
// checked before it is used.
export type Reservation = ReservationAnswer;
/** Cart always says how long the stock must stay held before its checkout confirms it. */
export type ReservationRequest = Required<ReservationRequestBody>;

/** Catalog could not be reached or kept failing: nothing is known to have happened; retry later. */
export class CatalogUnavailableError extends Error {
  override name = 'CatalogUnavailableError';
}

/** Catalog answered with a definite refusal (e.g. 409 not enough stock); retrying will not help. */
export class CatalogRefusedError extends Error {
  override name = 'CatalogRefusedError';
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(`catalog refused with ${status}: ${detail}`);
  }
}

export interface CatalogClient {
  /** takes the stock, held for `holdSeconds` (or replays the reservation and holds it again) */
  reserveStock(reservation: ReservationRequest, authorization: string, signal?: AbortSignal): Promise<Reservation>;
  /** the order is certain: the stock is sold; refused with 409 once the reservation expired or was released */
  confirmReservation(reservationId: string, authorization: string, signal?: AbortSignal): Promise<Reservation>;
  /** the checkout ordered nothing: the stock goes back on sale */
  releaseReservation(reservationId: string, authorization: string): Promise<Reservation>;
}

declare module 'fastify' {
  interface FastifyInstance {
    catalog: CatalogClient;
  }
}

export interface CatalogOptions {
  baseUrl: string;
  timeoutMs: number;
  retries: number;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const BACKOFF_MS = [100, 300];

/** Worst-case time one catalog call (every retry included) can take. */
export const worstCaseCallMs = (opts: Pick<CatalogOptions, 'timeoutMs' | 'retries'>) =>
  (opts.retries + 1) * opts.timeoutMs + BACKOFF_MS.slice(0, opts.retries).reduce((a, b) => a + b, 0);

// undici's own timeouts (connect, headers, body), besides the AbortSignal.timeout of each attempt.
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** What an attempt that threw amounts to: no answer in time, or no connection at all. */
function failedAttemptOutcome(error: unknown): CatalogCallOutcome {
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'TimeoutError' || (typeof code === 'string' && TIMEOUT_CODES.has(code)) ? 'timeout' : 'unavailable';
}

function answerOutcome(status: number): CatalogCallOutcome {
  return status < 300 ? 'ok' : status < 500 ? 'client_error' : 'server_error';
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function detailOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { detail?: unknown; title?: unknown };
    return String(parsed.detail ?? parsed.title ?? '').slice(0, 512);
  } catch {
    return body.slice(0, 200);
  }
}

async function catalogPlugin(fastify: FastifyInstance, opts: CatalogOptions) {
  const agent = new Agent({ connect: { timeout: opts.timeoutMs }, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs, keepAliveTimeout: 4000 });
  fastify.addHook('onClose', async () => agent.close());
  const reservations = new URL('/catalog/stock/reservations', opts.baseUrl).toString();
  // Each HTTP request is counted, retries included: what catalog was asked, and how it went.
  const calls = catalogCallsCounter(fastify.metrics);
  const durations = catalogCallDurationHistogram(fastify.metrics);
  const observe = (operation: CatalogOperation, outcome: CatalogCallOutcome, startedAt: number) => {
    calls.inc({ operation, outcome });
    durations.observe({ operation }, (performance.now() - startedAt) / 1000);
  };

  async function attempt(method: 'POST' | 'DELETE', url: string, authorization: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; body: string }> {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const res = await request(url, {
      dispatcher: agent,
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), accept: 'application/json', authorization },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    });
    return { status: res.statusCode, body: await res.body.text() };
  }

  /** One call with its retries: the same request every time, so catalog applies it once. */
  async function call<T extends TSchema>(operation: CatalogOperation, what: string, method: 'POST' | 'DELETE', url: string, authorization: string, body: unknown, schema: T, signal?: AbortSignal): Promise<Static<T>> {
    let lastProblem = '';
    for (let attemptNo = 0; attemptNo <= opts.retries; attemptNo++) {
      if (attemptNo > 0) await sleep(BACKOFF_MS[attemptNo - 1] ?? 300, undefined, signal ? { signal } : {});
      let answer: { status: number; body: string };
      const startedAt = performance.now();
      try {
        answer = await attempt(method, url, authorization, body, signal);
      } catch (error) {
        // The caller gave up (its lease was taken over): no point in another attempt. Not counted:
        // catalog did not fail, this checkout stopped listening.
        if (signal?.aborted) throw signal.reason;
        observe(operation, failedAttemptOutcome(error), startedAt);
        lastProblem = (error as Error).message;
        fastify.log.warn({ err: lastProblem, attempt: attemptNo + 1, what }, 'catalog call failed');
        continue;
      }
      if (answer.status === 200 || answer.status === 201) {
        const parsed = parseJson(answer.body);
        const usable = Value.Check(schema, parsed);
        // An answer cart cannot use is catalog's failure, like a 5xx.
        observe(operation, usable ? 'ok' : 'server_error', startedAt);
        if (!usable) throw new CatalogRefusedError(502, `catalog answered the ${what} with an unexpected body`);
        return parsed;
      }
      observe(operation, answerOutcome(answer.status), startedAt);
      if (RETRYABLE_STATUS.has(answer.status)) {
        lastProblem = `HTTP ${answer.status}`;
        fastify.log.warn({ status: answer.status, attempt: attemptNo + 1, what }, 'catalog answered with a retryable status');
        continue;
      }
      throw new CatalogRefusedError(answer.status, detailOf(answer.body));
    }
    throw new CatalogUnavailableError(`catalog unavailable after ${opts.retries + 1} attempts: ${lastProblem}`);
  }

  const one = (reservationId: string) => `${reservations}/${encodeURIComponent(reservationId)}`;
  fastify.decorate('catalog', {
    reserveStock: (reservation, authorization, signal) => call('reserve', `reservation ${reservation.reservationId}`, 'POST', reservations, authorization, reservation, ReservationAnswerSchema, signal),
    confirmReservation: (reservationId, authorization, signal) => call('confirm', `confirmation of ${reservationId}`, 'POST', `${one(reservationId)}/confirm`, authorization, undefined, ReservationAnswerSchema, signal),
    releaseReservation: (reservationId, authorization) => call('release', `release of ${reservationId}`, 'DELETE', one(reservationId), authorization, undefined, ReservationAnswerSchema),
  } satisfies CatalogClient);
}

export default fp(catalogPlugin, { name: 'catalog', fastify: '5.x', dependencies: ['metrics'] });
