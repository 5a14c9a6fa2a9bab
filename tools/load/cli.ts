// Load against a running cluster (`make up`), without the proof's cluster management: drives the
// shoppers, reads every cart back, and checks the history. Delete replicas by hand meanwhile
// (`kill -9 <pid>`) and see whether anything acknowledged went missing.
//
//   node --import tsx tools/load/cli.ts [--url http://127.0.0.1:8080] [--vus 8] [--duration 30] [--seed 1]
//
// Exit status: 0 when the history checks out, 1 when it does not, 2 on bad usage.
import { performance } from 'node:perf_hooks';
import { Type } from '@sinclair/typebox';
import { checkHistory, sessionStats } from '@anypod/scenarios';
import { parseOrUsage, readInput, UsageError } from '../config/cli-input.ts';
import { runLoad } from './driver.ts';
import { finalRead } from './final-read.ts';
import { createHttpClient } from './http-client.ts';

const USAGE = 'usage: node --import tsx tools/load/cli.ts [--url URL] [--vus N] [--duration S] [--seed N]';

const LoadInputSchema = Type.Object({
  url: Type.String({ pattern: '^https?://', maxLength: 2048, default: 'http://127.0.0.1:8080', flag: '--url', description: 'an http:// URL (the Ingress)' }),
  vus: Type.Integer({ minimum: 1, default: 8, flag: '--vus', description: 'a positive integer (virtual users)' }),
  duration: Type.Number({ exclusiveMinimum: 0, default: 30, flag: '--duration', description: 'a positive number of seconds' }),
  seed: Type.Integer({ minimum: 1, default: 1, flag: '--seed', description: 'a positive integer' }),
});

async function main(): Promise<number> {
  const input = parseOrUsage(() => {
    const values = readInput(LoadInputSchema, { argv: process.argv.slice(2) });
    try {
      return { ...values, client: createHttpClient({ baseUrl: values.url, connections: values.vus * 2 }) };
    } catch (error) {
      throw new UsageError(`--url: ${(error as Error).message}`);
    }
  }, USAGE);
  if (!input) return 2;
  const { client, vus, seed, duration: durationS } = input;
  const t0 = performance.now();
  const clock = () => performance.now() - t0;
  try {
    const load = await runLoad({
      client,
      vus,
      durationMs: durationS * 1000,
      clock,
      runId: `load${Date.now().toString(36)}`,
      seed,
      onMeasuredStart: (atMs) => console.log(`${(atMs / 1000).toFixed(1)}s  every VU signed in; shopping for ${durationS} s`),
      onProgress: (p) =>
        console.log(
          `${(p.atMs / 1000).toFixed(1)}s  ${p.opsPerSecond.toFixed(0)} ops/s, ${p.failedAttempts} failed attempts, ` +
            `${p.unsuccessfulOperations} ops not ok, replicas: ${p.replicasSeen.join(' ') || 'none'}`,
        ),
    });
    const read = await finalRead({ client, sessions: load.sessions });
    const result = checkHistory(load.operations, read.finals);
    const sessions = sessionStats(load.operations);
    console.log(
      `\n${load.operations.length} operations, ${load.requests} requests, ${Object.keys(load.servedBy).length} replicas answered; ` +
        `${result.writes.acknowledged} acknowledged writes: lost ${result.writes.lost}, duplicated ${result.writes.duplicated}, ` +
        `unexpected ${result.writes.unexpected}, recovered ${result.writes.recovered}; replicas per session ${sessions.minDistinctPods}–${sessions.maxDistinctPods}; ` +
        `read-backs failed ${read.failures.length}; cart reads missing lines ${load.observations.filter((o) => o.type === 'missing-lines').length}`,
    );
    for (const a of result.anomalies.slice(0, 10)) console.log(`  ${a.type}: ${a.detail}`);
    return result.valid && read.failures.length === 0 ? 0 : 1;
  } finally {
    await client.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
