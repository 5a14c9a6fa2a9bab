// Drives a journey generator (packages/scenarios/src/journeys/actions.ts) with the Node client:
// sends what it asks, sleeps what it asks, hands each answer back. The load driver has its own
// loop (a barrier at 'ready', a hard stop); this one is for short journeys such as the read-back.
import type { Sent, Step } from '@anypod/scenarios/journeys/index';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpClient } from './http-client.ts';

export async function driveSteps<T>(journey: Step<T>, client: HttpClient, onSent?: (sent: Sent) => void): Promise<T> {
  const started = performance.now();
  const clock = (): number => performance.now() - started;
  let step = journey.next();
  while (!step.done) {
    const action = step.value;
    if (action.type === 'send') {
      const startMs = clock();
      const response = await client.send(action.request);
      const sent: Sent = { response, startMs, durationMs: clock() - startMs };
      onSent?.(sent);
      step = journey.next(sent);
    } else {
      if (action.type === 'sleep') await sleep(action.ms);
      step = journey.next(undefined);
    }
  }
  return step.value;
}
