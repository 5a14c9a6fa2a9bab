// The load generator's process (lib/load.ts starts it pinned to the load side's CPUs): autocannon
// with the run's requests, a fresh Idempotency-Key where asked, a token per connection; it
// records every response time itself (autocannon's own histogram has 1-ms resolution, too coarse
// for loopback) and prints one JSON line of LoadFigures on stdout.
//
//   node --import tsx bench/lib/load-worker.ts '<LoadSpec as JSON>'
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { quantile } from '@anypod/tools/build/stats.ts';
import type { LoadFigures } from './results.ts';
import type { LoadSpec } from './load.ts';

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
const expected = new Set(spec.expectStatus ?? []);
const isExpected = (status: number): boolean => (expected.size > 0 ? expected.has(status) : status >= 200 && status < 300);

/** The run's requests as autocannon takes them, fresh objects for each connection. */
function requestsFor(token: string | undefined, connectionIndex: number): autocannon.Request[] {
  return spec.requests.map(({ idempotencyKey, rotate, headers, ...request }) => {
    let turn = connectionIndex * 7;
    const dynamic = idempotencyKey || rotate;
    return {
      ...request,
      headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(dynamic
        ? {
            setupRequest: (req: autocannon.Request) => ({
              ...req,
              headers: idempotencyKey ? { ...req.headers, 'idempotency-key': randomUUID() } : req.headers,
              body: rotate ? JSON.stringify({ ...(JSON.parse(request.body ?? '{}') as object), [rotate.field]: rotate.values[turn++ % rotate.values.length] }) : req.body,
            }),
          }
        : {}),
    };
  });
}

/**
 * One autocannon run of warm-up + measured time. Only answers after the warm-up count: the
 * connections carry on across the boundary, so no request of the warm-up is still in flight on
 * the server when the measured part starts (two runs would leave, say, a checkout running while
 * the next run's first add lands on the same cart).
 */
function run(warmupS: number, durationS: number): Promise<LoadFigures> {
  const latencies: number[] = [];
  const byStatus: Record<string, number> = {};
  let unexpectedStatus = 0;
  let errors = 0;
  let connection = 0;
  let recording = warmupS <= 0;
  const warmup = recording ? undefined : setTimeout(() => (recording = true), warmupS * 1000);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.baseUrl,
        connections: spec.connections ?? 16,
        duration: warmupS + durationS,
        // Requests that wait longer than this count as errors instead of stalling a connection.
        timeout: 10,
        requests: requestsFor(undefined, 0),
        setupClient: (client) => {
          // Each connection is one client with requests of its own (autocannon rebuilds a request
          // in place), and its own token: connections act as different users.
          const index = connection++;
          const token = spec.tokens?.length ? spec.tokens[index % spec.tokens.length] : undefined;
          client.setRequests(requestsFor(token, index));
        },
      },
      (error) => {
        clearTimeout(warmup);
        if (error) return reject(error);
        resolve({
          requests: latencies.length,
          durationS,
          rps: latencies.length / durationS,
          p50Ms: quantile(latencies, 0.5),
          p99Ms: quantile(latencies, 0.99),
          errors,
          unexpectedStatus,
          byStatus,
        });
      },
    );
    instance.on('response', (_client, statusCode: number, _bytes: number, responseTime: number) => {
      if (!recording) return;
      latencies.push(responseTime);
      byStatus[statusCode] = (byStatus[statusCode] ?? 0) + 1;
      if (!isExpected(statusCode)) unexpectedStatus++;
    });
    instance.on('reqError', () => {
      if (recording) errors++;
    });
  });
}

process.stdout.write(`${JSON.stringify(await run(spec.warmupS ?? 0, spec.durationS))}\n`);
