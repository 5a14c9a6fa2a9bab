// The heartbeat of a checkout's owner: while it works, it renews its lease on the key every
// `everyMs`, so a retry that arrives meanwhile is told to wait (409 + Retry-After) rather than
// taking over work that is still going on. Renewal is fenced — the store renews only a lease that
// still carries this owner's token — and it stops at the work's own deadline: an owner that is
// alive but hung stops renewing like a dead one, and loses the key one lease later.
// (Timers and clock are the globals `setTimeout` and `performance`, so a test can fake both.)

export interface LeaseKeeper {
  /** aborted once a renewal found the lease taken over: the work should stop, its result will be refused */
  readonly lost: AbortSignal;
  /** ms left before the work's deadline (negative once past it) */
  remainingMs(): number;
  /** stops renewing (call when the outcome is recorded or the lease released) */
  stop(): void;
}

export interface LeaseKeeperOptions {
  /** renews the lease if it is still this owner's; false when another owner holds it */
  renew: () => Promise<boolean>;
  everyMs: number;
  /** the work's deadline, ms from now */
  deadlineMs: number;
  /** a renewal that failed for another reason (database trouble): the next tick tries again */
  onError: (error: Error) => void;
}

export function keepLease(options: LeaseKeeperOptions): LeaseKeeper {
  const lost = new AbortController();
  const deadline = performance.now() + options.deadlineMs;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = async () => {
    if (stopped || performance.now() >= deadline) return;
    try {
      if (!(await options.renew())) {
        lost.abort(new Error('the lease on this Idempotency-Key was taken over'));
        return;
      }
    } catch (error) {
      options.onError(error as Error);
    }
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void tick(), options.everyMs);
    // A pending renewal must not keep a process alive that is otherwise shutting down.
    timer.unref();
  };
  schedule();

  return {
    lost: lost.signal,
    remainingMs: () => deadline - performance.now(),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
