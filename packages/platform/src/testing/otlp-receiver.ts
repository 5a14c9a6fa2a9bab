// An OTLP/HTTP receiver for tests of what a service process exports: it accepts the JSON
// encoding (OTEL_EXPORTER_OTLP_PROTOCOL=http/json) on /v1/traces and keeps every span, flattened
// with its resource and instrumentation scope. Anything else it answers 415/404 and records as a
// problem, so a test sees a misconfigured exporter instead of an empty list.
// https://opentelemetry.io/docs/specs/otlp/#otlphttp
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

type AttributeValue = string | number | boolean;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** empty for a root span */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer */
  kind: number;
  scope: string;
  resource: Record<string, AttributeValue>;
  attributes: Record<string, AttributeValue>;
}

export interface OtlpReceiver {
  /** the base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces) */
  url: string;
  /** every span received so far, in arrival order */
  spans: () => ReceivedSpan[];
  /** requests it could not take (wrong path or encoding), to show in a failure message */
  problems: string[];
  close: () => Promise<void>;
}

interface JsonKeyValue {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
}
interface JsonExport {
  resourceSpans?: Array<{
    resource?: { attributes?: JsonKeyValue[] };
    scopeSpans?: Array<{
      scope?: { name?: string };
      spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind?: number; attributes?: JsonKeyValue[] }>;
    }>;
  }>;
}

function attributes(list: JsonKeyValue[] = []): Record<string, AttributeValue> {
  return Object.fromEntries(list.map(({ key, value }) => [key, value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.doubleValue ?? value.boolValue ?? '']));
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const problems: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.url !== '/v1/traces') {
        problems.push(`${req.method} ${req.url}: only /v1/traces is served`);
        return res.writeHead(404).end();
      }
      if (!req.headers['content-type']?.startsWith('application/json')) {
        problems.push(`${req.headers['content-type']}: only OTLP/JSON is read (set OTEL_EXPORTER_OTLP_PROTOCOL=http/json)`);
        return res.writeHead(415).end();
      }
      let request: JsonExport;
      try {
        request = JSON.parse(body) as JsonExport;
      } catch (error) {
        problems.push(`not JSON: ${(error as Error).message}`);
        return res.writeHead(400).end();
      }
      for (const resourceSpans of request.resourceSpans ?? []) {
        const resource = attributes(resourceSpans.resource?.attributes);
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind ?? 0,
              scope: scopeSpans.scope?.name ?? '',
              resource,
              attributes: attributes(span.attributes),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => [...spans],
    problems,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
