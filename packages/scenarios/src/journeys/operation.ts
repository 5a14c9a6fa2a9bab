// One logical operation = one entry in the history, however many HTTP attempts it takes.
// Every attempt is recorded (time, status, replica) and retries reuse the request unchanged —
// same Idempotency-Key, same If-Match, same bytes — so a retry can only ever replay the effect.
import type { Attempt, Operation, OperationKind } from '../history.ts';
import type { HttpRequest, HttpResponse } from '../requests.ts';
import { parseJson } from '../requests.ts';
import { send, sleep, type Sent, type Step } from './actions.ts';
import { backoffMs, classifyAttempt, combineOutcome, DEFAULT_RETRY, type AttemptVerdict, type RetryPolicy } from './outcomes.ts';

export interface OperationContext {
  vu: number;
  user: string;
  /** ms since the run started */
  clock: () => number;
  random: () => number;
  retry?: RetryPolicy;
  /** a run-unique id for the next operation */
  nextId: () => string;
  /** receives each operation once, when it completes */
  record: (op: Operation) => void;
}

export interface OperationSpec {
  kind: OperationKind;
  request: HttpRequest;
  idempotencyKey?: string;
  productId?: string;
  quantity?: number;
  /** an operation-specific reading of an answer; falls back to classifyAttempt */
  classify?: (response: HttpResponse, previous: readonly AttemptVerdict[]) => AttemptVerdict | undefined;
  /** false: one attempt only; otherwise retries until the policy's deadline */
  retry?: boolean;
  /** fields taken from an acknowledged answer (e.g. a checkout's order id) */
  fromAnswer?: (sent: Sent) => Partial<Pick<Operation, 'orderId'>>;
}

export interface OperationResult {
  op: Operation;
  /** the last answer, if any attempt got one */
  last?: Sent;
}

const MAX_ERROR_LENGTH = 160;

export function attemptOf(sent: Sent): Attempt {
  const { response } = sent;
  const attempt: Attempt = { startMs: sent.startMs, durationMs: sent.durationMs, status: response.status };
  const servedBy = response.headers['x-served-by'];
  if (servedBy !== undefined && response.status !== 0) attempt.servedBy = servedBy;
  const error = errorOf(response);
  if (error !== undefined) attempt.error = error;
  return attempt;
}

/** A short reason for a failed attempt: the socket error code, or the problem's title and detail. */
function errorOf(response: HttpResponse): string | undefined {
  if (response.status === 0) return response.error ?? 'no response';
  if (response.status < 400) return undefined;
  const problem = parseJson<{ title?: unknown; detail?: unknown }>(response);
  const parts = [problem?.title, problem?.detail].filter((p): p is string => typeof p === 'string');
  const text = parts.length > 0 ? parts.join(': ') : `HTTP ${response.status}`;
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

export function* perform(ctx: OperationContext, spec: OperationSpec): Step<OperationResult> {
  const policy = ctx.retry ?? DEFAULT_RETRY;
  const op: Operation = { id: ctx.nextId(), vu: ctx.vu, user: ctx.user, kind: spec.kind, outcome: 'info', attempts: [] };
  if (spec.idempotencyKey !== undefined) op.idempotencyKey = spec.idempotencyKey;
  if (spec.productId !== undefined) op.productId = spec.productId;
  if (spec.quantity !== undefined) op.quantity = spec.quantity;
  const verdicts: AttemptVerdict[] = [];
  const keyed = spec.idempotencyKey !== undefined;
  let last: Sent | undefined;
  let inFlightSince: number | undefined;
  let recorded = false;
  try {
    const deadline = ctx.clock() + policy.deadlineMs;
    for (let attempt = 1; ; attempt++) {
      inFlightSince = ctx.clock();
      const sent = yield* send(spec.request);
      inFlightSince = undefined;
      op.attempts.push(attemptOf(sent));
      const verdict = spec.classify?.(sent.response, verdicts) ?? classifyAttempt(sent.response, verdicts);
      verdicts.push(verdict);
      if (sent.response.status !== 0) last = sent;
      if (verdict.outcome === 'ok') {
        Object.assign(op, spec.fromAnswer?.(sent) ?? {});
        break;
      }
      if (!verdict.retryable || spec.retry === false) break;
      const wait = backoffMs(policy, attempt, ctx.random, verdict);
      // A retry the deadline would not let start is not waited for.
      if (ctx.clock() + wait > deadline) break;
      yield* sleep(wait);
    }
    op.outcome = combineOutcome(verdicts, keyed);
    recorded = true;
    ctx.record(op);
    return last ? { op, last } : { op };
  } finally {
    // The driver closed the journey mid-operation (hard stop): the history must still hold it.
    // A request that was on the wire may have been applied, so that is an info attempt.
    if (!recorded && (inFlightSince !== undefined || verdicts.length > 0)) {
      if (inFlightSince !== undefined) {
        op.attempts.push({ startMs: inFlightSince, durationMs: Math.max(0, ctx.clock() - inFlightSince), status: 0, error: 'abandoned at the end of the run' });
        verdicts.push({ outcome: 'info', retryable: false });
      }
      op.outcome = combineOutcome(verdicts, keyed);
      ctx.record(op);
    }
  }
}
