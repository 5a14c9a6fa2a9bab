// The read-back at the end of a run (docs/reliability.md, "Lost writes"): every user's cart and
// every order, read through the Ingress after the cluster has settled. Each user's read-back is
// the shared journey of @anypod/scenarios (the k6 scripts run the same one per VU); here the
// users are read a few at a time. A user whose read-back fails is reported, never silently
// treated as empty — the checker then counts their acknowledged writes as lost.
import type { FinalState } from '@anypod/scenarios';
import { readBack, type ShopperSession } from '@anypod/scenarios/journeys/index';
import type { HttpClient } from './http-client.ts';
import { driveSteps } from './steps.ts';

export interface FinalReadOptions {
  client: HttpClient;
  sessions: readonly ShopperSession[];
  /** attempts per request */
  attempts?: number;
  /** users read in parallel */
  concurrency?: number;
}

export interface FinalReadResult {
  finals: FinalState[];
  /** users whose cart or orders could not be read, with the last error */
  failures: Array<{ user: string; reason: string }>;
  /** replicas that answered the read-back */
  servedBy: Record<string, number>;
}

export async function finalRead(options: FinalReadOptions): Promise<FinalReadResult> {
  const finals: FinalState[] = [];
  const failures: FinalReadResult['failures'] = [];
  const servedBy: Record<string, number> = {};
  const queue = [...options.sessions];
  let next = 0;

  async function worker(): Promise<void> {
    while (next < queue.length) {
      const session = queue[next++] as ShopperSession;
      const result = await driveSteps(readBack(session, options.attempts !== undefined ? { attempts: options.attempts } : {}), options.client, ({ response }) => {
        const replica = response.headers['x-served-by'];
        if (replica !== undefined && response.status !== 0) servedBy[replica] = (servedBy[replica] ?? 0) + 1;
      });
      if (result.ok) finals.push(result.final);
      else failures.push({ user: result.user, reason: result.reason });
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 8, queue.length)) }, worker));
  finals.sort((a, b) => a.user.localeCompare(b.user));
  failures.sort((a, b) => a.user.localeCompare(b.user));
  return { finals, failures, servedBy };
}
