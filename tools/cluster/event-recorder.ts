// A cluster's events as they come (ClusterOptions.onEvent), for whoever waits on them (the
// cluster's tests): every event so far, and the next one that matches, with a deadline that says
// what was awaited and what came instead.
import type { ClusterEvent } from './types.ts';

type EventOf<K extends ClusterEvent['type']> = Extract<ClusterEvent, { type: K }>;

export interface EventRecorder {
  readonly events: ClusterEvent[];
  /** give it to startCluster as `onEvent` */
  readonly onEvent: (event: ClusterEvent) => void;
  /**
   * The next event of `type` that matches, from now on: ask before causing it. Rejects after
   * `timeoutMs` (default: none) with `what` and the events seen meanwhile.
   */
  next<K extends ClusterEvent['type']>(type: K, matches?: (event: EventOf<K>) => boolean, opts?: { what?: string; timeoutMs?: number }): Promise<EventOf<K>>;
  /** The first event so far of `type` that matches; throws if there is none. */
  first<K extends ClusterEvent['type']>(type: K, matches?: (event: EventOf<K>) => boolean): EventOf<K>;
}

export function eventRecorder(): EventRecorder {
  const events: ClusterEvent[] = [];
  const waiters = new Set<(event: ClusterEvent) => void>();
  return {
    events,
    onEvent(event) {
      events.push(event);
      for (const waiter of [...waiters]) waiter(event);
    },
    next(type, matches = () => true, opts = {}) {
      const from = events.length;
      return new Promise((resolve, reject) => {
        const timer =
          opts.timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                waiters.delete(waiter);
                const seen = events.slice(from).map((e) => ('replica' in e ? `${e.type} ${e.replica}` : e.type));
                reject(new Error(`${opts.what ?? type}: no ${type} event within ${opts.timeoutMs} ms (meanwhile: ${seen.join(', ') || 'none'})`));
              }, opts.timeoutMs);
        const waiter = (event: ClusterEvent) => {
          if (event.type !== type || !matches(event as EventOf<typeof type>)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(event as EventOf<typeof type>);
        };
        waiters.add(waiter);
      });
    },
    first(type, matches = () => true) {
      const found = events.find((e): e is EventOf<typeof type> => e.type === type && matches(e as EventOf<typeof type>));
      if (!found) throw new Error(`no matching ${type} event yet`);
      return found;
    },
  };
}
