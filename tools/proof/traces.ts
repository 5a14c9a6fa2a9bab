// After a run, what its traces say (report-types.ts, RunTraces): Jaeger is asked for the service's
// traces in the run's time window, they are grouped by session (tools/observability/sessions.ts),
// a sample of the sessions is read in full, and one trace crossing cart → catalog is kept span by
// span. Never throws: when Jaeger does not answer or holds nothing, the result says so with a
// reason and zeros, and the run's other results stand.
import { JaegerQuery, parentOf, podOf, serviceOf, spanKind, type Trace } from '../observability/jaeger-query.ts';
import { findCrossing, podsBySession, SESSION_ATTRIBUTE, sessionOf, spanTree, type Crossing } from '../observability/sessions.ts';
import type { RunTraces, TracedCall, TraceGap } from './report-types.ts';

export interface TraceReading {
  /** whose traces are grouped by session: cart, which every shopping session's writes reach */
  service: string;
  /** the service cart calls; the crossing shown is service → callee */
  callee: string;
  /** traces of the run's window read to find its sessions */
  sampleSize: number;
  /** sessions read in full, the ones with most traces in the sample first */
  maxSessions: number;
  /** at most this many traces read per session: plenty to count a handful of pods */
  tracesPerSession: number;
  /**
   * A session with fewer traces read is left out: with R pods taking requests in turn or at
   * random, k requests all on one pod by chance has odds around R^(1-k) — 1 in 500 for k = 10 and
   * R = 2, so a session that stayed on one pod over 10 requests was pinned there.
   */
  minTracesPerSession: number;
  /** spans of the crossing trace kept in report.json (the call's own always among them) */
  maxSpansShown: number;
}

export const TRACE_READING: TraceReading = {
  service: 'cart',
  callee: 'catalog',
  sampleSize: 200,
  maxSessions: 10,
  tracesPerSession: 50,
  minTracesPerSession: 10,
  maxSpansShown: 30,
};

export interface ReadTracesOptions {
  /** Jaeger's query API (and UI) */
  jaegerUrl: string;
  /** the run's window: from the start of its load to the end of its read-back */
  start: Date;
  end: Date;
  reading?: Partial<TraceReading>;
  /** per request to Jaeger (default: JaegerQuery's) */
  timeoutMs?: number;
}

/** The report's traces of a run that had no Jaeger. */
export function notTraced(reading: Partial<TraceReading> = {}): RunTraces {
  return nothing({ ...TRACE_READING, ...reading }, 'not-traced');
}

function nothing(reading: TraceReading, reason: TraceGap, extra: Partial<RunTraces> = {}): RunTraces {
  return {
    service: reading.service,
    minTracesPerSession: reading.minTracesPerSession,
    tracesRead: 0,
    sessionsFound: 0,
    sessionsChecked: 0,
    minDistinctPodsPerSession: 0,
    maxDistinctPodsPerSession: 0,
    sessions: [],
    reason,
    ...extra,
  };
}

export async function readRunTraces(options: ReadTracesOptions): Promise<RunTraces> {
  const reading = { ...TRACE_READING, ...options.reading };
  const jaegerUrl = options.jaegerUrl.replace(/\/+$/, '');
  const jaeger = options.timeoutMs === undefined ? new JaegerQuery(jaegerUrl) : new JaegerQuery(jaegerUrl, options.timeoutMs);
  const window = { service: reading.service, start: options.start, end: options.end };
  const read: Trace[] = [];
  let sessionsFound = 0;
  let sampled = new Set<string>();
  try {
    read.push(...(await jaeger.findTraces({ ...window, limit: reading.sampleSize })));
    if (read.length === 0) return nothing(reading, 'no-traces', { jaegerUrl });
    const found = podsBySession(read, reading.service);
    sessionsFound = found.length;
    if (found.length === 0) return nothing(reading, 'no-sessions', { jaegerUrl, tracesRead: read.length });
    // The sessions the sample saw most of first: the likeliest to have enough traces.
    const byTraces = [...found].sort((a, b) => b.traceIds.length - a.traceIds.length || (a.sessionId < b.sessionId ? -1 : 1));
    sampled = new Set(byTraces.slice(0, reading.maxSessions).map((s) => s.sessionId));
    for (const sessionId of sampled) {
      read.push(...(await jaeger.findTraces({ ...window, tags: { [SESSION_ATTRIBUTE]: sessionId }, limit: reading.tracesPerSession })));
    }
  } catch (error) {
    return nothing(reading, 'jaeger-unreachable', { jaegerUrl, sessionsFound, error: (error as Error).message.split('\n')[0] ?? 'no answer' });
  }
  const sessions = podsBySession(read, reading.service)
    .filter((s) => sampled.has(s.sessionId) && s.traceIds.length >= reading.minTracesPerSession)
    .map((s) => ({ sessionId: s.sessionId, traces: s.traceIds.length, pods: s.pods }));
  const podCounts = sessions.map((s) => s.pods.length);
  const crossing = findCrossing(read, reading.service, reading.callee);
  return {
    service: reading.service,
    minTracesPerSession: reading.minTracesPerSession,
    tracesRead: new Set(read.map((t) => t.traceID)).size,
    sessionsFound,
    sessionsChecked: sessions.length,
    minDistinctPodsPerSession: podCounts.length > 0 ? Math.min(...podCounts) : 0,
    maxDistinctPodsPerSession: podCounts.length > 0 ? Math.max(...podCounts) : 0,
    sessions,
    ...(crossing ? { crossing: tracedCall(crossing, reading) } : {}),
    jaegerUrl,
    ...(sessions.length === 0 ? { reason: 'too-few-traces' as const } : {}),
  };
}

/** Trace ids are hex; a link is made only to an http(s) Jaeger, whatever report.json says. */
const TRACE_ID = /^[0-9a-f]{16,32}$/;
const HTTP_URL = /^https?:\/\/[^\s"'<>]+$/;

/** A link to the trace in Jaeger's UI, when the report knows a Jaeger and the id is a trace id. */
export function traceLink(jaegerUrl: string | undefined, traceId: string): string | undefined {
  if (!jaegerUrl || !HTTP_URL.test(jaegerUrl) || !TRACE_ID.test(traceId)) return undefined;
  return `${jaegerUrl.replace(/\/+$/, '')}/trace/${traceId}`;
}

const ms = (micros: number): number => Math.round(micros / 100) / 10;

/** The crossing as report.json keeps it: its spans depth-first, at most maxSpansShown, the call's path always included. */
function tracedCall({ trace, path }: Crossing, reading: TraceReading): TracedCall {
  const onPath = new Set(path.map((s) => s.spanID));
  const tree = spanTree(trace);
  const t0 = Math.min(...trace.spans.map((s) => s.startTime));
  const budget = Math.max(0, reading.maxSpansShown - onPath.size);
  let extra = 0;
  const shown = tree.filter(({ span }) => onPath.has(span.spanID) || extra++ < budget);
  const sessionId = sessionOf(trace, reading.service);
  return {
    traceId: trace.traceID,
    from: reading.service,
    to: reading.callee,
    ...(sessionId ? { sessionId } : {}),
    spanCount: trace.spans.length,
    spans: shown.map(({ span, depth }) => {
      const parent = parentOf(trace, span)?.spanID;
      const pod = podOf(trace, span);
      return {
        spanId: span.spanID,
        ...(parent ? { parentSpanId: parent } : {}),
        depth,
        service: serviceOf(trace, span),
        ...(pod ? { pod } : {}),
        name: span.operationName,
        kind: spanKind(span),
        startMs: ms(span.startTime - t0),
        durationMs: ms(span.duration),
        onPath: onPath.has(span.spanID),
      };
    }),
  };
}
