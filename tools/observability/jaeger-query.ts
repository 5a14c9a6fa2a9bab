// A small typed client of Jaeger's HTTP query API (the one its UI uses, /api/...; the v3 API cannot
// filter by attribute over HTTP in v1.76), and helpers that read a trace the way the proof and the
// tests do: which pods served it, which service called which.
// In this API's model a span's OpenTelemetry resource attributes (k8s.pod.name, service.instance.id)
// are its process's tags, and its kind is the span tag `span.kind`.

export interface KeyValue {
  key: string;
  type: string;
  value: string | number | boolean;
}

export interface SpanReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

export interface Span {
  traceID: string;
  spanID: string;
  operationName: string;
  references: SpanReference[];
  /** unix microseconds */
  startTime: number;
  /** microseconds */
  duration: number;
  tags: KeyValue[];
  processID: string;
  warnings: string[] | null;
}

export interface Process {
  serviceName: string;
  tags: KeyValue[];
}

export interface Trace {
  traceID: string;
  spans: Span[];
  processes: Record<string, Process>;
  warnings: string[] | null;
}

export interface FindTraces {
  service: string;
  operation?: string;
  /** span or resource attributes that must match exactly (e.g. { 'http.route': '/cart/checkout' }) */
  tags?: Record<string, string>;
  /** default: an hour before `end` */
  start?: Date;
  /** default: now */
  end?: Date;
  /** at most this many traces (default 20, as in the UI) */
  limit?: number;
}

export class JaegerQueryError extends Error {}

export class JaegerQuery {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private async get<T>(path: string, params: Record<string, string | undefined> = {}): Promise<{ status: number; data: T | null }> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, value);
    const url = `${this.baseUrl}${path}${search.size ? `?${search}` : ''}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await res.text();
    if (res.status === 404) return { status: 404, data: null };
    let body: { data: T | null; errors?: { msg: string }[] | null };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new JaegerQueryError(`GET ${url} answered ${res.status}, not JSON: ${text.slice(0, 300)}`);
    }
    if (res.status !== 200 || body.errors?.length) throw new JaegerQueryError(`GET ${url} answered ${res.status}: ${body.errors?.map((e) => e.msg).join('; ') ?? text.slice(0, 300)}`);
    return { status: res.status, data: body.data };
  }

  /** The services that have sent spans. */
  async services(): Promise<string[]> {
    return (await this.get<string[]>('/api/services')).data ?? [];
  }

  async operations(service: string): Promise<string[]> {
    return (await this.get<string[]>(`/api/services/${encodeURIComponent(service)}/operations`)).data ?? [];
  }

  /** Traces with at least one span of `service` (and the operation and tags, when given) that started in the window. */
  async findTraces(query: FindTraces): Promise<Trace[]> {
    const end = query.end ?? new Date();
    const start = query.start ?? new Date(end.getTime() - 3_600_000);
    const { data } = await this.get<Trace[]>('/api/traces', {
      service: query.service,
      operation: query.operation,
      tags: query.tags && JSON.stringify(query.tags),
      start: String(start.getTime() * 1000),
      end: String(end.getTime() * 1000),
      limit: String(query.limit ?? 20),
    });
    return data ?? [];
  }

  /** One trace by its id (32 hex digits), or null when Jaeger has none with that id. */
  async trace(traceId: string): Promise<Trace | null> {
    const { data } = await this.get<Trace[]>(`/api/traces/${encodeURIComponent(traceId)}`);
    return data?.[0] ?? null;
  }
}

// --- reading a trace -------------------------------------------------------------------------

function tag(tags: KeyValue[], key: string): string | undefined {
  const found = tags.find((t) => t.key === key);
  return found === undefined ? undefined : String(found.value);
}

export function processOf(trace: Trace, span: Span): Process {
  const process = trace.processes[span.processID];
  if (!process) throw new JaegerQueryError(`trace ${trace.traceID}: span ${span.spanID} names process ${span.processID}, which the trace does not list`);
  return process;
}

export function serviceOf(trace: Trace, span: Span): string {
  return processOf(trace, span).serviceName;
}

/** A resource attribute of the process that made the span (k8s.pod.name, service.instance.id, ...). */
export function resourceAttribute(trace: Trace, span: Span, key: string): string | undefined {
  return tag(processOf(trace, span).tags, key);
}

/** The pod (k8s.pod.name) that made the span. */
export function podOf(trace: Trace, span: Span): string | undefined {
  return resourceAttribute(trace, span, 'k8s.pod.name');
}

/** server | client | internal | producer | consumer (absent on internal spans in some exporters) */
export function spanKind(span: Span): string {
  return tag(span.tags, 'span.kind') ?? 'internal';
}

export function spanAttribute(span: Span, key: string): string | undefined {
  return tag(span.tags, key);
}

/** Every pod that served a span of the trace, optionally of one service. */
export function podsOf(trace: Trace, service?: string): Set<string> {
  const pods = new Set<string>();
  for (const span of trace.spans) {
    if (service !== undefined && serviceOf(trace, span) !== service) continue;
    const pod = podOf(trace, span);
    if (pod) pods.add(pod);
  }
  return pods;
}

/** The span's parent within the trace (its CHILD_OF reference), or undefined for a root or an orphan. */
export function parentOf(trace: Trace, span: Span): Span | undefined {
  const ref = span.references.find((r) => r.refType === 'CHILD_OF' && r.traceID === span.traceID);
  return ref && trace.spans.find((s) => s.spanID === ref.spanID);
}

export function childrenOf(trace: Trace, span: Span): Span[] {
  return trace.spans.filter((s) => s.references.some((r) => r.refType === 'CHILD_OF' && r.spanID === span.spanID));
}

/** One call between services: a client span and the other service's server span that is its child. */
export interface ServiceCall {
  from: string;
  to: string;
  client: Span;
  server: Span;
}

/** Every call in the trace from one service to another (a server span whose parent is a client span of another service). */
export function serviceCalls(trace: Trace): ServiceCall[] {
  const calls: ServiceCall[] = [];
  for (const server of trace.spans) {
    if (spanKind(server) !== 'server') continue;
    const client = parentOf(trace, server);
    if (!client || spanKind(client) !== 'client') continue;
    const from = serviceOf(trace, client);
    const to = serviceOf(trace, server);
    if (from !== to) calls.push({ from, to, client, server });
  }
  return calls;
}
