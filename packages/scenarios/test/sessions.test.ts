import { describe, expect, it } from 'vitest';
import type { Attempt, Operation } from '../src/history.ts';
import { lostSessions, sessionStats } from '../src/index.ts';

let next = 0;
function op(vu: number, kind: Operation['kind'], outcome: Operation['outcome'], attempts: Array<Partial<Attempt>>): Operation {
  return {
    id: `op${++next}`,
    vu,
    user: `u${vu}`,
    kind,
    outcome,
    attempts: attempts.map((a) => ({ startMs: next * 10, durationMs: 5, status: 200, ...a })),
  };
}

describe('sessionStats', () => {
  it('counts the distinct pods that answered each session, ignoring attempts without an answer', () => {
    const ops = [
      op(1, 'login', 'ok', [{ servedBy: 'auth-a' }]),
      op(1, 'read', 'ok', [{ servedBy: 'cart-a' }, { servedBy: 'cart-b' }]),
      op(1, 'add', 'ok', [{ servedBy: 'cart-a' }]),
      op(2, 'login', 'ok', [{ servedBy: 'auth-a' }]),
      // A socket failure carries no trustworthy X-Served-By.
      op(2, 'read', 'info', [{ status: 0 }, { status: 0, servedBy: 'cart-z' }]),
      op(3, 'read', 'info', [{ status: 0 }]),
    ];
    expect(sessionStats(ops)).toEqual({ total: 3, minDistinctPods: 0, maxDistinctPods: 3 });
    expect(sessionStats(ops.filter((o) => o.vu !== 3))).toEqual({ total: 2, minDistinctPods: 1, maxDistinctPods: 3 });
  });

  it('reports zeros for an empty history', () => {
    expect(sessionStats([])).toEqual({ total: 0, minDistinctPods: 0, maxDistinctPods: 0 });
  });
});

describe('lostSessions', () => {
  it('counts VUs that got a 401 after a successful login, once each', () => {
    const ops = [
      // VU 1: logged in, then the pod that held the session forgot it (twice).
      op(1, 'login', 'ok', [{}]),
      op(1, 'read', 'fail', [{ status: 401 }]),
      op(1, 'add', 'fail', [{ status: 401 }]),
      // VU 2: wrong password first, then fine: not a lost session.
      op(2, 'login', 'fail', [{ status: 401 }]),
      op(2, 'login', 'ok', [{}]),
      op(2, 'read', 'ok', [{}]),
      // VU 3: a 401 before ever logging in.
      op(3, 'read', 'fail', [{ status: 401 }]),
      op(3, 'login', 'ok', [{}]),
      // VU 4: the retry after a 401 succeeded, but the session was still lost once.
      op(4, 'login', 'ok', [{}]),
      op(4, 'read', 'ok', [{ status: 401 }, { status: 200 }]),
    ];
    expect(lostSessions(ops)).toBe(2);
  });
});
