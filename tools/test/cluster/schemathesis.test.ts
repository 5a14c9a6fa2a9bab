// Schemathesis against each service's OpenAPI document, through a local cluster's Ingress, the
// way a client generated from the document would call it: every check, two users (alice sends,
// bob probes alice's objects), a fixed seed and a stated number of examples per operation, each
// run under a time cap. The contract holds when it finds 0 failures; its own internal "Runtime
// Error"s are counted and printed apart, and any other error fails the test like a failure.
// The venv comes from `make test-setup` (tools/schemathesis/venv.sh); without it this fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../cluster/cluster.ts';
import { newAccount } from '../../cluster/testing.ts';
import type { Cluster } from '../../cluster/types.ts';
import { runSchemathesis, schemathesisBin, type SchemathesisResult } from '../../schemathesis/run.ts';

const SEED = 20261130;
// 10 per operation: about 1,500 requests over the three documents in about two minutes on two
// cores — every operation gets its examples, coverage cases, fuzzed and stateful sequences.
const MAX_EXAMPLES = 10;
const TIME_CAP_MS = 75_000;
// auth last: its run signs alice out (POST /auth/logout), and every run gets its own two users.
const SERVICES = ['catalog', 'cart', 'auth'] as const;

const runDir = mkdtempSync(join(tmpdir(), 'anypod-schemathesis-'));
let cluster: Cluster;

beforeAll(async () => {
  schemathesisBin(); // fail first, with the command to run, when the venv is missing
  cluster = await startCluster({ replicas: 1, ingressPort: 0, runDir, env: { LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT_PER_MINUTE: '100000' } });
}, 240_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(runDir, { recursive: true, force: true });
});

async function documentedOperations(service: string): Promise<number> {
  const doc = (await (await fetch(`${cluster.ingressUrl}/${service}/openapi.json`)).json()) as { paths: Record<string, object> };
  return Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
}

function describeRun(r: SchemathesisResult): string {
  return `schemathesis ${r.service}: ${r.operations} operations, ${r.testCases} test cases, ${r.requests} requests, seed ${SEED}, max ${MAX_EXAMPLES} examples, ${r.seconds.toFixed(1)} s — ${r.failures.reduce((n, f) => n + f.count, 0)} failures, ${r.runtimeErrors} Schemathesis runtime errors (not the API's), ${r.otherErrors.length} other errors`;
}

describe('the OpenAPI documents hold against Schemathesis through the Ingress', { tags: ['timing'] }, () => {
  it.each(SERVICES)('%s: 0 failures, every check, two users', async (service) => {
    const alice = await newAccount(cluster.ingressUrl, `st-alice-${service}`);
    const bob = await newAccount(cluster.ingressUrl, `st-bob-${service}`);
    const result = await runSchemathesis({
      ingressUrl: cluster.ingressUrl,
      service,
      users: { alice: alice.accessToken, bob: bob.accessToken },
      seed: SEED,
      maxExamples: MAX_EXAMPLES,
      timeoutMs: TIME_CAP_MS,
      workDir: join(runDir, 'schemathesis', service),
    });
    console.log(describeRun(result));
    const problems = { failures: result.failures, otherErrors: result.otherErrors };
    // The whole console output when something is wrong: each failure with its curl to replay it.
    expect(problems, result.output).toEqual({ failures: [], otherErrors: [] });
    // A run that tested nothing would pass the line above: it must have covered the document.
    expect(result.operations).toBe(await documentedOperations(service));
    expect(result.testCases).toBeGreaterThanOrEqual(result.operations * 5);
    expect(result.requests).toBeGreaterThanOrEqual(result.testCases);
    // Only failures or its own runtime errors make Schemathesis exit non-zero; the first are 0 here.
    if (result.exitCode !== 0) expect(result.runtimeErrors, result.output).toBeGreaterThan(0);
  }, TIME_CAP_MS + 30_000);
});
