// Log lines of a traced request carry the active span's ids, so a log line leads to its trace and
// a trace to its log lines. Field names are OpenTelemetry's for logs outside the log data model
// (https://opentelemetry.io/docs/specs/otel/compatibility/logging_trace_context/): trace_id,
// span_id, trace_flags ("01" when sampled).
//
// A pino mixin rather than @opentelemetry/instrumentation-pino: ten explicit lines in the logger
// options instead of patching pino as it loads (one more module hook, one more instrumentation
// line to keep in step with the SDK, and a log-sending bridge to switch off). The mixin reads the
// active context through @opentelemetry/api alone: with tracing off no context manager is
// registered, no span is ever active, and lines carry no trace fields.
import { context, isSpanContextValid, trace, type Context } from '@opentelemetry/api';

export interface TraceLogFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

/** The ids of the span active in `ctx` (by default the current one), or nothing. */
export function traceLogFields(ctx: Context = context.active()): TraceLogFields {
  const span = trace.getSpanContext(ctx);
  if (!span || !isSpanContextValid(span)) return {};
  return { trace_id: span.traceId, span_id: span.spanId, trace_flags: span.traceFlags.toString(16).padStart(2, '0') };
}
