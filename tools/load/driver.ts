// The Node load driver: N virtual users (the shopper journey from @anypod/scenarios), each one
// sequential, all sharing one keep-alive pool to the Ingress. It records the history, every
// attempt's time and replica, and what the shoppers noticed; it stops by itself when the
// duration is over (letting each VU finish its operation), or at a hard bound on time or
// requests.
import type { Operation } from '@anypod/scenarios';
import { createShopper, type Observation, type ShopperBehaviour, type ShopperSession, type Step } from '@anypod/scenarios/journeys/index';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClient } from './http-client.ts';

export interface LoadProgress {
  /** ms since the run started */
  atMs: number;
  operations: number;
  /** operations completed per second since the previous report */
  opsPerSecond: number;
  attempts: number;
  /** attempts without an answer or with a 5xx, since the start */
  failedAttempts: number;
  /** operations that ended fail or info, since the start */
  unsuccessfulOperations: number;
  /** replicas (X-Served-By) that answered since the previous report */
  replicasSeen: string[];
  activeVus: number;
  /** VUs signed in and waiting for the others */
  waitingVus: number;
}

export interface LoadOptions {
  client: HttpClient;
  vus: number;
  durationMs: number;
  /** ms since the run started; share it with whoever timestamps kills */
  clock: () => number;
  /** makes accounts unique per run */
  runId: string;
  seed?: number;
  behaviour?: Partial<ShopperBehaviour>;
  /** VUs start spread over this window, so logins do not all hash passwords at once */
  rampUpMs?: number;
  /**
   * Sign-in is a phase of its own: every VU registers and logs in, then all start shopping
   * together and the duration counts from there (like k6's setup() before the scenario). A VU
   * not signed in by this bound starts late or not at all.
   */
  signInTimeoutMs?: number;
  /** called once, when the measured phase starts (ms since run start): start deleting replicas then */
  onMeasuredStart?: (atMs: number) => void;
  /** after the duration, VUs get this long to finish their operation before being cut off */
  drainMs?: number;
  /** a bound on requests for the whole run */
  maxRequests?: number;
  progressEveryMs?: number;
  onProgress?: (progress: LoadProgress) => void;
}

export interface LoadResult {
  operations: Operation[];
  observations: Observation[];
  sessions: ShopperSession[];
  /** requests sent (attempts), answered or not */
  requests: number;
  /** answers per replica (X-Served-By) */
  servedBy: Record<string, number>;
  /** ms since the run started when shopping started (after sign-in) */
  measuredFromMs: number;
  /** ms since the run started when the last VU stopped */
  endedAtMs: number;
  /** true when the request bound or the drain deadline cut VUs off */
  truncated: boolean;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { client, clock } = options;
  const operations: Operation[] = [];
  const observations: Observation[] = [];
  const servedBy: Record<string, number> = {};
  const signInTimeoutMs = options.signInTimeoutMs ?? 60_000;
  // Until everyone is signed in, the end is the sign-in bound; then it is the duration from there.
  let stopAtMs = clock() + signInTimeoutMs;
  let hardStopAtMs = stopAtMs + (options.drainMs ?? 30_000);
  let measuredFromMs: number | undefined;
  let waiting = 0;
  const release: Array<() => void> = [];
  const startMeasuring = (): void => {
    if (measuredFromMs !== undefined) return;
    measuredFromMs = clock();
    stopAtMs = measuredFromMs + options.durationMs;
    hardStopAtMs = stopAtMs + (options.drainMs ?? 30_000);
    options.onMeasuredStart?.(measuredFromMs);
    for (const go of release.splice(0)) go();
  };
  /** VUs not yet at the barrier (not ready and not finished) */
  let notReady = options.vus;
  const arrived = (): void => {
    notReady--;
    if (notReady <= 0) startMeasuring();
  };
  const signInTimer = setTimeout(startMeasuring, signInTimeoutMs);
  const maxRequests = options.maxRequests ?? 500_000;
  // Spread the sign-ins: each costs a deliberately slow password hash.
  const rampUpMs = options.rampUpMs ?? Math.min(5_000, options.durationMs / 5);
  let requests = 0;
  let truncated = false;
  let active = 0;

  // Progress counters, since the start and since the previous report.
  let failedAttempts = 0;
  let unsuccessful = 0;
  let windowOps = 0;
  let windowReplicas = new Set<string>();
  const record = (op: Operation): void => {
    operations.push(op);
    windowOps++;
    if (op.outcome !== 'ok') unsuccessful++;
  };

  const shoppers = Array.from({ length: options.vus }, (_, i) =>
    createShopper({
      vu: i + 1,
      runId: options.runId,
      seed: options.seed ?? 1,
      clock,
      stopAtMs: () => stopAtMs,
      record,
      observe: (o) => observations.push(o),
      ...(options.behaviour ? { behaviour: options.behaviour } : {}),
    }),
  );

  const cutOff = (): boolean => {
    if (requests >= maxRequests || clock() >= hardStopAtMs) truncated = true;
    return truncated;
  };

  async function drive(journey: Step, startDelayMs: number): Promise<void> {
    if (startDelayMs > 0) await sleep(startDelayMs);
    active++;
    let atBarrier = false;
    try {
      let step = journey.next();
      while (!step.done) {
        if (cutOff()) {
          // return() runs the journey's finally blocks: an operation cut off mid-way is still recorded.
          journey.return(undefined);
          return;
        }
        const action = step.value;
        if (action.type === 'ready') {
          if (!atBarrier) {
            atBarrier = true;
            const go = new Promise<void>((resolve) => (measuredFromMs === undefined ? release.push(resolve) : resolve()));
            waiting++;
            arrived();
            await go;
            waiting--;
          }
          step = journey.next(undefined);
          continue;
        }
        if (action.type === 'sleep') {
          await sleep(Math.min(action.ms, Math.max(0, hardStopAtMs - clock())));
          step = journey.next(undefined);
          continue;
        }
        requests++;
        const startMs = clock();
        const response = await client.send(action.request);
        const durationMs = clock() - startMs;
        const replica = response.status !== 0 ? response.headers['x-served-by'] : undefined;
        if (replica !== undefined) {
          servedBy[replica] = (servedBy[replica] ?? 0) + 1;
          windowReplicas.add(replica);
        }
        if (response.status === 0 || response.status >= 500) failedAttempts++;
        step = journey.next({ response, startMs, durationMs });
      }
    } finally {
      active--;
      // A VU that ended before signing in must not hold the others at the barrier.
      if (!atBarrier) arrived();
    }
  }

  const every = options.progressEveryMs ?? 5_000;
  let lastReportMs = clock();
  const timer = options.onProgress
    ? setInterval(() => {
        const atMs = clock();
        const seconds = Math.max(0.001, (atMs - lastReportMs) / 1000);
        options.onProgress?.({
          atMs,
          operations: operations.length,
          opsPerSecond: windowOps / seconds,
          attempts: requests,
          failedAttempts,
          unsuccessfulOperations: unsuccessful,
          replicasSeen: [...windowReplicas].sort(),
          activeVus: active,
          waitingVus: waiting,
        });
        lastReportMs = atMs;
        windowOps = 0;
        windowReplicas = new Set();
      }, every)
    : undefined;

  try {
    // A journey that throws (a bug, not a failed request) stops every VU, then the run fails.
    const results = await Promise.allSettled(
      shoppers.map((s, i) =>
        drive(s.run(), options.vus > 1 ? Math.round((rampUpMs * i) / (options.vus - 1)) : 0).catch((error: unknown) => {
          truncated = true;
          startMeasuring();
          throw error;
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    if (timer) clearInterval(timer);
    clearTimeout(signInTimer);
  }
  return {
    operations,
    observations,
    sessions: shoppers.map((s) => s.session),
    requests,
    servedBy,
    measuredFromMs: measuredFromMs ?? clock(),
    endedAtMs: clock(),
    truncated,
  };
}
