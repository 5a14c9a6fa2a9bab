// One load run: autocannon (lib/load-worker.ts) in a process of its own on the load side's CPUs,
// so the generator never takes CPU time from the servers; its figures come back as JSON.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pinnedArgv, type Pinning } from './pinning.ts';
import type { LoadFigures } from './results.ts';

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** path and query, e.g. /catalog/products/abc */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** a fresh Idempotency-Key header on every request */
  idempotencyKey?: boolean;
  /**
   * The JSON body's `field` takes the next of `values` on every request (each connection starts
   * at its own offset): adds spread over many products, as shoppers' do, instead of piling on one line.
   */
  rotate?: { field: string; values: string[] };
}

export interface LoadSpec {
  /** http://127.0.0.1:<port> — loopback or the project's own bridge only */
  baseUrl: string;
  /** what one connection sends, in order, round and round */
  requests: RequestSpec[];
  /** concurrent keep-alive connections (default 16) */
  connections?: number;
  durationS: number;
  /** an uncounted run first (JIT, pools, caches) */
  warmupS?: number;
  /** Authorization per connection: connection i sends tokens[i % tokens.length] */
  tokens?: string[];
  /** statuses that count as answered as expected (default: any 2xx) */
  expectStatus?: number[];
}

/** Only loopback and the project's bridge (10.244.0.0/16): load never leaves the machine. */
export function checkLocal(baseUrl: string): void {
  const { hostname } = new URL(baseUrl);
  if (!/^(127\.\d+\.\d+\.\d+|localhost|10\.244\.\d+\.\d+)$/.test(hostname)) throw new Error(`refusing to send load to ${baseUrl}: only loopback and the cluster's bridge (10.244.0.0/16)`);
}

export async function runLoad(spec: LoadSpec, pinning: Pinning): Promise<LoadFigures> {
  checkLocal(spec.baseUrl);
  const [command, ...args] = pinnedArgv(pinning, 'load', [process.execPath, '--import', 'tsx', WORKER, JSON.stringify(spec)]);
  const budgetMs = ((spec.warmupS ?? 0) + spec.durationS + 30) * 1000;
  const { stdout } = await run(command!, args, { timeout: budgetMs, killSignal: 'SIGKILL', maxBuffer: 1 << 20 });
  const figures = JSON.parse(stdout.trim().split('\n').pop() ?? '') as LoadFigures;
  if (figures.requests === 0) throw new Error(`no answer at all from ${spec.baseUrl}${spec.requests[0]?.path ?? ''} in ${spec.durationS} s (${figures.errors} connection errors)`);
  return figures;
}
