// The k6 adapter and the Node load driver run the same journeys: for the same seed and journey,
// they must put the same requests on the wire — method, path, significant headers, body. Both
// drive one shopper against a real local cluster through a recording proxy; the k6 side is the
// bundled 03-pod-deletion.js executed in the Sobek harness (k6's engine), the Node side is
// tools/load's driver with undici. Values that are the server's (tokens, cookies) or the run's
// own (the run id in the account name) are normalised; everything else must match exactly.
// Checkouts are off in both runs and so is the shopper's stock filter, so earlier tests' orders
// (stock moving as reservations expire) cannot change what either run picks. A request repeated
// at once with the same bytes is a retry (a 429 from the login limit, a 503): the two runs may
// meet different transient answers, so a retry is compared as the one request it repeats — its
// statuses are in a difference's message.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeOf } from '@anypod/scenarios/requests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../cluster/index.ts';
import type { Cluster } from '../../cluster/types.ts';
import { runLoad } from '../../load/driver.ts';
import { createHttpClient } from '../../load/http-client.ts';
import { bundleLoadTest, SCRIPTS_DIR } from '../../load-tests/bundle.ts';
import { runHarness } from '../../load-tests/harness.ts';
import { startRecordingProxy, type RecordedRequest, type RecordingProxy } from './recording-proxy.ts';

const SEED = 4242;
// Accounts live on in the database between test runs: a run id of its own per run and side.
const RUN = Date.now().toString(36);
const NODE_RUN = `eqnode-${RUN}`;
const K6_RUN = `eqk6-${RUN}`;
const BEHAVIOUR = { checkoutChance: 0, minStock: 0 };
/** the requests both sides must have sent, at least, for the comparison to mean something */
const MIN_COMPARED = 60;
/** Headers whose value is the journey's choice; the rest are each client's own (user-agent, connection, ...). */
const SIGNIFICANT = ['content-type', 'accept', 'authorization', 'cookie', 'idempotency-key', 'if-match', 'if-none-match'];

let dir: string;
let cluster: Cluster;
let proxy: RecordingProxy;

/** What a request says, with the server's tokens and the run's id replaced by placeholders. */
function normalise(request: RecordedRequest, runId: string): string {
  const headers = SIGNIFICANT.flatMap((name) => {
    const value = request.headers[name];
    if (value === undefined) return [];
    const text = String(value)
      .replace(/^Bearer .+$/, 'Bearer <token>')
      .replace(/^(anypod_session)=.+$/, '$1=<session>');
    return [`${name}: ${text}`];
  });
  const body = request.body.replaceAll(runId, '<run>').replace(/"refreshToken":"[^"]+"/, '"refreshToken":"<token>"');
  return [`${request.method} ${request.path.replaceAll(runId, '<run>')}`, ...headers, body].join('\n');
}

interface Sent {
  request: string;
  /** the status of each attempt: more than one when it was retried */
  statuses: number[];
}

/** The run's requests in order, each retry (the same request again at once) folded into the one it repeats. */
function sequence(recorded: RecordedRequest[], runId: string): Sent[] {
  const out: Sent[] = [];
  for (const r of recorded) {
    const request = normalise(r, runId);
    const last = out[out.length - 1];
    if (last?.request === request) last.statuses.push(r.status);
    else out.push({ request, statuses: [r.status] });
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anypod-k6-equivalence-'));
  // Both runs sign in from 127.0.0.1, after every earlier test did: no per-IP login limit here.
  cluster = await startCluster({ replicas: 2, ingressPort: 0, runDir: join(dir, 'cluster'), env: { LOGIN_RATE_LIMIT_PER_MINUTE: '100000' } });
  proxy = await startRecordingProxy(cluster.ingressUrl);
}, 240_000);

afterAll(async () => {
  await proxy?.close();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('the k6 adapter and the Node driver', { tags: ['timing'] }, () => {
  let node: Sent[];
  let k6: Sent[];

  beforeAll(async () => {
    const client = createHttpClient({ baseUrl: proxy.url, connections: 2 });
    const started = performance.now();
    try {
      await runLoad({ client, vus: 1, durationMs: 25_000, clock: () => performance.now() - started, runId: NODE_RUN, seed: SEED, behaviour: BEHAVIOUR });
    } finally {
      await client.close();
    }
    node = sequence(proxy.requests.splice(0), NODE_RUN);

    const bundle = await bundleLoadTest(join(SCRIPTS_DIR, '03-pod-deletion.ts'), join(dir, 'bundles'));
    const run = await runHarness({
      bundle: bundle.out,
      outDir: join(dir, 'k6'),
      env: { BASE_URL: proxy.url, VUS: '1', ITERATIONS: '25', SEED: String(SEED), RUN_ID: K6_RUN, BEHAVIOUR: JSON.stringify(BEHAVIOUR) },
    });
    expect(run.exitCode, run.stderr.split('\n').slice(-20).join('\n')).toBe(0);
    k6 = sequence(proxy.requests.splice(0), K6_RUN);
  }, 240_000);

  it('send the same requests, in the same order, for the same seed', () => {
    // The k6 VU ends with its read-back (GET /cart, then the orders), where the Node driver reads
    // every user after the run: the shopping before it is what both must have sent alike.
    const readBack = k6.findLastIndex((r) => r.request.startsWith('GET /cart/orders?limit=100\n')) - 1;
    expect(k6[readBack]?.request.startsWith('GET /cart\n'), 'the k6 VU read back its cart and orders').toBe(true);
    const shopping = k6.slice(0, readBack);
    expect(shopping.length).toBeGreaterThanOrEqual(MIN_COMPARED);
    expect(node.length, 'the Node driver shopped for longer than the k6 VU').toBeGreaterThanOrEqual(shopping.length);
    // Element by element, so a difference names the first request that differs.
    for (let i = 0; i < shopping.length; i++) {
      const statuses = `statuses k6 ${shopping[i]?.statuses.join(',')}, Node ${node[i]?.statuses.join(',')}`;
      expect(shopping[i]?.request, `request ${i + 1} of ${shopping.length} (${statuses})`).toBe(node[i]?.request);
    }
  });

  it('covers every kind of request the shopper makes', () => {
    const kinds = new Set(
      k6.map((r) => {
        const [method = '', path = ''] = (r.request.split('\n')[0] ?? '').split(' ');
        return `${method} ${routeOf(path)}`;
      }),
    );
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['POST /auth/register', 'POST /auth/login', 'GET /auth/me', 'GET /catalog/products', 'POST /cart/items', 'GET /cart']));
  });
});
