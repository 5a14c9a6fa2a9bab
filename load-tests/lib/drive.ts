// Runs a journey generator (@anypod/scenarios/journeys) the way k6 runs code: synchronously.
// Each 'send' is one k6 request, each 'sleep' k6's sleep; 'ready' (the Node driver's barrier
// between sign-in and shopping) needs nothing here, because a k6 VU signs in during its first
// iteration. The Node driver runs the very same generators with undici.
import { sleep } from 'k6';
import type { HttpRequest } from '@anypod/scenarios/requests';
import type { Sent, Step } from '@anypod/scenarios/journeys/index';
import { send } from './k6-client.ts';

export interface DriveOptions {
  baseUrl: string;
  /** ms since the VU started: the journeys time attempts and token expiry with it */
  clock: () => number;
  /** every answered or failed attempt, for the VU's metrics */
  onSent?: (request: HttpRequest, sent: Sent) => void;
}

export function drive<T>(journey: Step<T>, options: DriveOptions): T {
  let step = journey.next();
  while (!step.done) {
    const action = step.value;
    if (action.type === 'send') {
      const startMs = options.clock();
      const response = send(options.baseUrl, action.request);
      const sent: Sent = { response, startMs, durationMs: options.clock() - startMs };
      options.onSent?.(action.request, sent);
      step = journey.next(sent);
    } else {
      if (action.type === 'sleep') sleep(action.ms / 1000);
      step = journey.next(undefined);
    }
  }
  return step.value;
}
