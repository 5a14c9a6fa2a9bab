// Traces: a real auth process exports OTLP/HTTP (JSON) to a receiver started by the test. The
// spans must carry k8s.pod.name and service.instance.id, and the batch must be flushed when the
// process stops gracefully (SIGTERM → sdk.shutdown in onClose) — otherwise the last seconds of a
// deleted pod's traces would be lost.
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { testEnv } from '@anypod/platform/testing/env';
import { startService, stopService } from '@anypod/platform/testing/processes';
import { afterAll, describe, expect, it } from 'vitest';

interface ExportRequest {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans: Array<{ spans: Array<{ name: string; attributes: Array<{ key: string; value: { stringValue?: string; intValue?: string | number } }> }> }>;
  }>;
}

const received: ExportRequest[] = [];
let receiver: Server;

afterAll(() => new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve())));

describe('telemetry', () => {
  it('exports spans with the pod name and flushes them on graceful stop', async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces') received.push(JSON.parse(body) as ExportRequest);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const auth = await startService({
      name: 'auth-traced',
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: testEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '60000' }),
    });
    const res = await fetch(`${auth.url}/auth/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    // The batch delay is a minute: spans can only arrive now through the flush on shutdown.
    const exit = await stopService(auth);
    expect(exit.code, auth.output()).toBe(0);

    const resources = received.flatMap((r) => r.resourceSpans);
    expect(resources.length).toBeGreaterThan(0);
    const attrs = Object.fromEntries(resources[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue]));
    expect(attrs['service.name']).toBe('auth');
    expect(attrs['k8s.pod.name']).toBe('auth-traced');
    expect(attrs['service.instance.id']).toBe('auth-traced');
    const spans = resources.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    // The incoming-request span of the http instrumentation names the path it served.
    const server = spans.find((s) => s.attributes.some((a) => ['http.target', 'url.path'].includes(a.key) && a.value.stringValue === '/auth/.well-known/jwks.json'));
    expect(server, `spans: ${spans.map((s) => s.name).join(', ')}`).toBeDefined();
  });
});
