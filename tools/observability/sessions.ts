// Reading traces the way the proof report does: which pods served each user session, and whether a
// trace crosses from one service into another with sound parent/child links. Pure functions on
// Jaeger's trace model (jaeger-query.ts), so every rule is tested on hand-made traces.
//
// A session is the `session.id` attribute the token verifier puts on the span of every
// authenticated request (packages/platform/src/token-verifier.ts: the token's `sid`); the pod is
// the `k8s.pod.name` resource attribute of the process that made a span.
import { childrenOf, parentOf, podsOf, serviceCalls, serviceOf, spanAttribute, spanKind, type ServiceCall, type Span, type Trace } from './jaeger-query.ts';

export const SESSION_ATTRIBUTE = 'session.id';

/** One session's traces (of one service) and the distinct pods of that service that made their spans. */
export interface SessionPods {
  sessionId: string;
  traceIds: string[];
  /** sorted */
  pods: string[];
}

/**
 * The session a trace belongs to: the `session.id` on the service's spans. Undefined when none
 * carries one (an anonymous request) or when they disagree (a trace that is not one request of
 * one session says nothing about a session).
 */
export function sessionOf(trace: Trace, service: string): string | undefined {
  const ids = new Set<string>();
  for (const span of trace.spans) {
    if (serviceOf(trace, span) !== service) continue;
    const id = spanAttribute(span, SESSION_ATTRIBUTE);
    if (id) ids.add(id);
  }
  return ids.size === 1 ? [...ids][0] : undefined;
}

/**
 * The traces grouped by session (each trace once, however often it was read), with the distinct
 * pods of `service` that made spans in them. Sessions sorted by id, traces by id.
 */
export function podsBySession(traces: readonly Trace[], service: string): SessionPods[] {
  const seen = new Set<string>();
  const bySession = new Map<string, { traceIds: string[]; pods: Set<string> }>();
  for (const trace of traces) {
    if (seen.has(trace.traceID)) continue;
    seen.add(trace.traceID);
    const sessionId = sessionOf(trace, service);
    if (sessionId === undefined) continue;
    const entry = bySession.get(sessionId) ?? { traceIds: [], pods: new Set<string>() };
    entry.traceIds.push(trace.traceID);
    for (const pod of podsOf(trace, service)) entry.pods.add(pod);
    bySession.set(sessionId, entry);
  }
  return [...bySession]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sessionId, { traceIds, pods }]) => ({ sessionId, traceIds: traceIds.sort(), pods: [...pods].sort() }));
}

/** A service-to-service call whose links hold, and the request it was made for. */
export interface Crossing {
  trace: Trace;
  call: ServiceCall;
  /** `from`'s server span at the top of the trace: the request that made the call */
  entry: Span;
  /** the spans from `entry` down to `to`'s server span, in that order */
  path: Span[];
}

/** The span's ancestors within the trace, nearest first (stops at a cycle: a malformed trace). */
export function ancestors(trace: Trace, span: Span): Span[] {
  const chain: Span[] = [];
  const visited = new Set<string>([span.spanID]);
  for (let parent = parentOf(trace, span); parent && !visited.has(parent.spanID); parent = parentOf(trace, parent)) {
    visited.add(parent.spanID);
    chain.push(parent);
  }
  return chain;
}

/**
 * The trace's call from → to, when its links are sound: `to`'s server span is the child of a
 * client span of `from` (serviceCalls), and that client span descends, through spans of `from`
 * only, from a server span of `from` with no parent in the trace — the request that entered
 * `from`. A server span hung under the wrong parent (a server span, a span of a third service, a
 * span the trace does not hold) or a client span cut off from its request is no crossing.
 * Of several such calls, the first made.
 */
export function crossingOf(trace: Trace, from: string, to: string): Crossing | undefined {
  // The first call the request made, when it made several (a checkout reserves, then confirms).
  for (const call of serviceCalls(trace).sort((a, b) => a.client.startTime - b.client.startTime)) {
    if (call.from !== from || call.to !== to) continue;
    const chain = ancestors(trace, call.client);
    const entry = chain.at(-1);
    if (!entry || spanKind(entry) !== 'server' || parentOf(trace, entry)) continue;
    if (chain.some((span) => serviceOf(trace, span) !== from)) continue;
    return { trace, call, entry, path: [...chain].reverse().concat(call.client, call.server) };
  }
  return undefined;
}

/** Of the traces that cross from → to (crossingOf), the one with the fewest spans: the easiest to read. */
export function findCrossing(traces: readonly Trace[], from: string, to: string): Crossing | undefined {
  let best: Crossing | undefined;
  for (const trace of traces) {
    if (best && trace.spans.length >= best.trace.spans.length) continue;
    best = crossingOf(trace, from, to) ?? best;
  }
  return best;
}

/** The trace's spans depth-first from its roots (a span without a parent in the trace), children by start time, with their depth. */
export function spanTree(trace: Trace): Array<{ span: Span; depth: number }> {
  const byStart = (a: Span, b: Span) => a.startTime - b.startTime;
  const out: Array<{ span: Span; depth: number }> = [];
  const visited = new Set<string>();
  const visit = (span: Span, depth: number): void => {
    if (visited.has(span.spanID)) return;
    visited.add(span.spanID);
    out.push({ span, depth });
    for (const child of childrenOf(trace, span).sort(byStart)) visit(child, depth + 1);
  };
  for (const root of trace.spans.filter((s) => !parentOf(trace, s)).sort(byStart)) visit(root, 0);
  // Spans only reachable through a cycle (malformed) still appear, at the top.
  for (const span of [...trace.spans].sort(byStart)) visit(span, 0);
  return out;
}
