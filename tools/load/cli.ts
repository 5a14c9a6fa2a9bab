// Load against a running cluster (`make up`), without the proof's cluster management: drives the
// shoppers, reads every cart back, and checks the history. Delete replicas by hand meanwhile
// (`kill -9 <pid>`) and see whether anything acknowledged went missing.
//
//   node --import tsx tools/load/cli.ts [--url http://127.0.0.1:8080] [--vus 8] [--duration 30] [--seed 1]
//
// Exit status: 0 when the history checks out, 1 when it does not, 2 on bad usage.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { checkHistory, sessionStats } from '@anypod/scenarios';
import { runLoad } from './driver.ts';
import { finalRead } from './final-read.ts';
import { createHttpClient } from './http-client.ts';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { url: { type: 'string', default: 'http://127.0.0.1:8080' }, vus: { type: 'string', default: '8' }, duration: { type: 'string', default: '30' }, seed: { type: 'string', default: '1' } },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\nusage: node --import tsx tools/load/cli.ts [--url URL] [--vus N] [--duration S] [--seed N]`);
    return 2;
  }
  const vus = Number(values.vus);
  const durationS = Number(values.duration);
  if (!Number.isInteger(vus) || vus < 1 || !(durationS > 0)) {
    console.error('--vus must be a positive integer and --duration a positive number of seconds');
    return 2;
  }
  let client;
  try {
    client = createHttpClient({ baseUrl: values.url, connections: vus * 2 });
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const t0 = performance.now();
  const clock = () => performance.now() - t0;
  try {
    const load = await runLoad({
      client,
      vus,
      durationMs: durationS * 1000,
      clock,
      runId: `load${Date.now().toString(36)}`,
      seed: Number(values.seed) || 1,
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
