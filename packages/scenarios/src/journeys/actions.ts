// A journey is a generator of actions, so it runs on any HTTP client: the Node driver awaits
// each action and resumes the generator with the result; a k6 script would do the same
// synchronously. The journey never touches a socket or a timer itself.
import type { HttpRequest, HttpResponse } from '../requests.ts';

export type Action =
  | { type: 'send'; request: HttpRequest }
  | { type: 'sleep'; ms: number }
  /**
   * Signed in, ready to shop. A driver may hold every VU here until all are (like k6's setup()
   * before the scenario), so the measured part of a run is shopping, not password hashing.
   * Drivers that do not care resume at once.
   */
  | { type: 'ready' };

/** What the client returns for a 'send': the answer and when it was made (ms since run start). */
export interface Sent {
  response: HttpResponse;
  startMs: number;
  durationMs: number;
}

/** A journey step: yields actions, is resumed with a Sent after 'send' (undefined otherwise). */
export type Step<T = void> = Generator<Action, T, Sent | undefined>;

export function* send(request: HttpRequest): Step<Sent> {
  const sent = yield { type: 'send', request };
  if (!sent) throw new Error(`the client resumed a send of ${request.method} ${request.path} without a result`);
  return sent;
}

export function* sleep(ms: number): Step {
  if (ms > 0) yield { type: 'sleep', ms };
}
