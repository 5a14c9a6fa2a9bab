// The decisions tracing rests on, as plain functions: when it is on (only the standard OTEL_*
// variables), what every span's resource says, and which fields a log line gets. What a real
// process exports and logs is checked in services/cart/test/tracing.test.ts.
import { ROOT_CONTEXT, TraceFlags, trace, type SpanContext } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { traceLogFields } from '../src/log-trace-context.ts';
import { resourceAttributes, tracingEnabled, UNTRACED_PATH } from '../src/telemetry.ts';

describe('tracingEnabled', () => {
  const endpoint = 'http://127.0.0.1:4318';

  it('is off without an OTLP endpoint, or with an empty one', () => {
    expect(tracingEnabled({})).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBe(false);
    expect(tracingEnabled({ OTEL_SERVICE_NAME: 'cart', OTEL_RESOURCE_ATTRIBUTES: 'a=b' })).toBe(false);
  });

  it('is on with the general or the traces endpoint', () => {
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces` })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces` })).toBe(true);
  });

  it('is off when OTEL_SDK_DISABLED is true (any case) or the traces exporter is none', () => {
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: 'false' })).toBe(true);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
  });
});

describe('resourceAttributes', () => {
  it('names the service, the pod twice (instance and k8s) and the namespace', () => {
    expect(resourceAttributes('cart', { POD_NAME: 'cart-7d9f-abcde', POD_NAMESPACE: 'shop' })).toEqual({
      'service.name': 'cart',
      'service.instance.id': 'cart-7d9f-abcde',
      'k8s.pod.name': 'cart-7d9f-abcde',
      'k8s.namespace.name': 'shop',
    });
  });

  it('takes the pod from HOSTNAME when POD_NAME is unset, and leaves out an unknown namespace', () => {
    expect(resourceAttributes('auth', { HOSTNAME: 'auth-1' })).toEqual({ 'service.name': 'auth', 'service.instance.id': 'auth-1', 'k8s.pod.name': 'auth-1' });
  });

  it('lets OTEL_SERVICE_NAME rename the service', () => {
    expect(resourceAttributes('auth', { OTEL_SERVICE_NAME: 'auth-canary', POD_NAME: 'p' })['service.name']).toBe('auth-canary');
  });
});

describe('UNTRACED_PATH', () => {
  it('matches probes and scrapes, and no route of a service', () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/readyz?verbose=1']) expect(path).toMatch(UNTRACED_PATH);
    for (const path of ['/cart', '/cart/checkout', '/metricsx', '/auth/healthz', '/readyzz']) expect(path).not.toMatch(UNTRACED_PATH);
  });
});

describe('traceLogFields', () => {
  const sampled: SpanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };

  it('gives the active span’s ids under the OpenTelemetry names', () => {
    expect(traceLogFields(trace.setSpanContext(ROOT_CONTEXT, sampled))).toEqual({ trace_id: sampled.traceId, span_id: sampled.spanId, trace_flags: '01' });
    expect(traceLogFields(trace.setSpanContext(ROOT_CONTEXT, { ...sampled, traceFlags: TraceFlags.NONE }))).toMatchObject({ trace_flags: '00' });
  });

  it('gives nothing without a span, or with an invalid one', () => {
    expect(traceLogFields(ROOT_CONTEXT)).toEqual({});
    expect(traceLogFields()).toEqual({}); // no SDK here: no context manager, never an active span
    expect(traceLogFields(trace.setSpanContext(ROOT_CONTEXT, { ...sampled, traceId: '0'.repeat(32) }))).toEqual({});
  });
});
