import { describe, expect, it } from 'vitest';
import { checkHistory, type CheckResult } from '../src/index.ts';
import { final, history } from './history-builder.ts';

/** Every count at once, so a test fails when the checker reports anything it should not. */
function counts(r: CheckResult) {
  const { lost, unexpected, duplicated, recovered } = r.writes;
  return { lost, unexpected, duplicated, recovered, quantity: r.quantityBoundViolations, valid: r.valid };
}
const clean = { lost: 0, unexpected: 0, duplicated: 0, recovered: 0, quantity: 0, valid: true };

describe('checkHistory', () => {
  it('accepts a clean history: adds, a set, a checkout and a line added after it', () => {
    const h = history();
    h.add('p1', 2);
    h.add('p2', 1);
    h.set('p1', 3);
    h.read();
    h.checkout('ok', 'o1');
    h.add('p3', 1);
    const r = checkHistory(h.ops, [final('u1', { p3: 1 }, { o1: { p1: 3, p2: 1 } })]);
    expect(counts(r)).toEqual(clean);
    expect(r.writes).toMatchObject({ attempted: 5, acknowledged: 5 });
    expect(r.anomalies).toEqual([]);
  });

  it('reports an acknowledged add that is missing as lost (and outside the add bounds)', () => {
    const h = history('u7');
    h.add('p12', 1);
    h.add('p12', 2);
    h.add('p3', 1);
    const r = checkHistory(h.ops, [final('u7', { p3: 1 })]);
    expect(counts(r)).toEqual({ ...clean, lost: 1, quantity: 1, valid: false });
    expect(r.anomalies).toEqual([
      { type: 'quantity', user: 'u7', detail: 'user u7 product p12: found 0, outside the add bounds [3 acknowledged, 3 attempted]' },
      { type: 'lost', user: 'u7', detail: 'user u7 product p12: acknowledged 3, found 0' },
    ]);
  });

  it('reports a line of quantity zero or less instead of skipping it', () => {
    const h = history('u3');
    h.add('p1', 1);
    h.checkout('ok', 'o1');
    const r = checkHistory(h.ops, [final('u3', { p2: 0 }, { o1: { p1: 1, p4: -1 } })]);
    expect(counts(r)).toEqual({ ...clean, quantity: 2, valid: false });
    expect(r.anomalies).toEqual([
      { type: 'quantity', user: 'u3', detail: 'user u3 product p2: the cart holds a line of quantity 0' },
      { type: 'quantity', user: 'u3', detail: 'user u3 product p4: order o1 holds a line of quantity -1' },
    ]);
  });

  it('reports a quantity above everything attempted as duplicated', () => {
    const h = history();
    h.add('p1', 1);
    h.add('p1', 1, 'fail');
    const r = checkHistory(h.ops, [final('u1', { p1: 3 })]);
    expect(counts(r)).toEqual({ ...clean, duplicated: 1, quantity: 1, valid: false });
    expect(r.anomalies.find((a) => a.type === 'duplicated')?.detail).toBe('user u1 product p1: at most 1 could have been applied, found 3');
  });

  it('reports an element nobody added, and a user nobody ran, as unexpected', () => {
    const h = history();
    h.add('p1', 1);
    h.remove('p9', 'fail');
    const r = checkHistory(h.ops, [final('u1', { p1: 1, p9: 4 }), final('u2', { p5: 1 }, { o7: { p6: 1 } })]);
    expect(counts(r)).toEqual({ ...clean, unexpected: 4, valid: false });
    expect(r.anomalies.map((a) => a.detail)).toEqual([
      'user u1 product p9: found 4, but no operation added it',
      'user u2 product p5: found 1, but no operation added it',
      'user u2 product p6: found 1, but no operation added it',
      'user u2: order o7 found, but no checkout was attempted',
    ]);
  });

  it('counts an indeterminate add that landed as recovered, not as an anomaly', () => {
    const h = history();
    h.add('p1', 1);
    h.add('p1', 2, 'info');
    const r = checkHistory(h.ops, [final('u1', { p1: 3 })]);
    expect(counts(r)).toEqual({ ...clean, recovered: 1 });
    expect(r.writes).toMatchObject({ attempted: 2, acknowledged: 1 });
  });

  it('accepts an indeterminate add that did not land', () => {
    const h = history();
    h.add('p1', 1);
    h.add('p1', 2, 'info');
    expect(counts(checkHistory(h.ops, [final('u1', { p1: 1 })]))).toEqual(clean);
  });

  it('does not count info writes as recovered when the read-back cannot tell which one landed', () => {
    const h = history();
    h.add('p1', 1, 'info');
    h.add('p1', 1, 'info');
    expect(counts(checkHistory(h.ops, [final('u1', { p1: 1 })]))).toEqual(clean);
  });

  it('reports a quantity no combination of the writes produces, even inside the add bounds', () => {
    const h = history();
    h.add('p1', 2, 'info');
    h.add('p1', 3, 'info');
    const r = checkHistory(h.ops, [final('u1', { p1: 1 })]);
    expect(counts(r)).toEqual({ ...clean, quantity: 1, valid: false });
    expect(r.anomalies[0]?.detail).toBe('user u1 product p1: found 1, which no combination of the writes produces (history allows 0, 2, 3 or 5)');
  });

  it('checks the add bounds: acknowledged sum <= final <= attempted sum', () => {
    const h = history();
    h.add('p1', 2);
    h.add('p1', 3, 'info');
    h.add('p2', 1, 'info');
    const r = checkHistory(h.ops, [final('u1', { p1: 1, p2: 2 })]);
    expect(counts(r)).toEqual({ ...clean, lost: 1, duplicated: 1, quantity: 2, valid: false });
    expect(r.anomalies.filter((a) => a.type === 'quantity').map((a) => a.detail)).toEqual([
      'user u1 product p1: found 1, outside the add bounds [2 acknowledged, 5 attempted]',
      'user u1 product p2: found 2, outside the add bounds [0 acknowledged, 1 attempted]',
    ]);
  });

  describe('set and remove', () => {
    const setThenRemove = () => {
      const h = history();
      h.add('p1', 2);
      h.set('p1', 5);
      h.remove('p1');
      return h.ops;
    };

    it('accepts an element removed by an acknowledged remove', () => {
      expect(counts(checkHistory(setThenRemove(), [final('u1', {})]))).toEqual(clean);
    });

    it('reports an element present after an acknowledged remove as duplicated', () => {
      const r = checkHistory(setThenRemove(), [final('u1', { p1: 5 })]);
      expect(counts(r)).toEqual({ ...clean, duplicated: 1, valid: false });
      expect(r.anomalies[0]?.detail).toBe('user u1 product p1: at most 0 could have been applied, found 5');
    });

    it('reports a line that lost its acknowledged set as lost', () => {
      const h = history();
      h.add('p1', 2);
      h.set('p1', 5);
      const r = checkHistory(h.ops, [final('u1', { p1: 2 })]);
      expect(counts(r)).toEqual({ ...clean, lost: 1, valid: false });
      expect(r.anomalies[0]?.detail).toBe('user u1 product p1: acknowledged 5, found 2');
    });

    it('branches on an indeterminate remove: absent means it landed, present means it did not', () => {
      const h = history();
      h.add('p1', 2);
      h.remove('p1', 'info');
      expect(counts(checkHistory(h.ops, [final('u1', {})]))).toEqual({ ...clean, recovered: 1 });
      expect(counts(checkHistory(h.ops, [final('u1', { p1: 2 })]))).toEqual(clean);
    });

    it('replays in invocation order, not in the order operations were recorded', () => {
      const h = history();
      const add = h.add('p1', 2);
      const set = h.set('p1', 5);
      // Recorded set-first (completion order) but invoked add-first: the set wins.
      expect(counts(checkHistory([set, add], [final('u1', { p1: 5 })]))).toEqual(clean);
      expect(counts(checkHistory([set, add], [final('u1', { p1: 7 })]))).toEqual({ ...clean, duplicated: 1, valid: false });
    });
  });

  describe('checkout and orders', () => {
    it('accepts lines moved from the cart into the order', () => {
      const h = history();
      h.add('p1', 2);
      h.add('p2', 1);
      h.checkout('ok', 'o1');
      expect(counts(checkHistory(h.ops, [final('u1', {}, { o1: { p1: 2, p2: 1 } })]))).toEqual(clean);
    });

    it('applies a set after a checkout to the cart only, leaving the order alone', () => {
      const h = history();
      h.add('p1', 1);
      h.checkout('ok', 'o1');
      h.add('p1', 2);
      h.set('p1', 5);
      expect(counts(checkHistory(h.ops, [final('u1', { p1: 5 }, { o1: { p1: 1 } })]))).toEqual(clean);
    });

    it('reports one element split over two orders when one checkout ran as duplicated', () => {
      const h = history();
      h.add('p1', 2);
      h.checkout('ok', 'o1');
      const r = checkHistory(h.ops, [final('u1', {}, { o1: { p1: 1 }, o2: { p1: 1 } })]);
      expect(counts(r)).toEqual({ ...clean, duplicated: 2, valid: false });
      expect(r.anomalies.map((a) => a.detail)).toEqual([
        'user u1 product p1: found 0 in the cart and 2 in 2 orders, but the history allows one copy',
        'user u1: order o2 is more orders than the 1 checkout(s) that could have been applied',
      ]);
    });

    it('reports an element both in its order and still in the cart as duplicated', () => {
      const h = history();
      h.add('p1', 1);
      h.add('p1', 1, 'info');
      h.checkout('ok', 'o1');
      // The total (2) is reachable, but only with both units in the order.
      const r = checkHistory(h.ops, [final('u1', { p1: 1 }, { o1: { p1: 1 } })]);
      expect(counts(r)).toEqual({ ...clean, duplicated: 1, valid: false });
      expect(r.anomalies[0]?.detail).toBe('user u1 product p1: found 1 in the cart and 1 in 1 order, but the history allows one copy');
    });

    it('reports an acknowledged checkout whose order is missing as lost (the order and its line)', () => {
      const h = history();
      h.add('p1', 1);
      h.checkout('ok', 'o1');
      const r = checkHistory(h.ops, [final('u1', {})]);
      expect(counts(r)).toEqual({ ...clean, lost: 2, quantity: 1, valid: false });
      expect(r.anomalies.map((a) => a.detail)).toEqual([
        'user u1 product p1: found 0, outside the add bounds [1 acknowledged, 1 attempted]',
        'user u1 product p1: acknowledged 1, found 0',
        'user u1: checkout u1-op2 acknowledged order o1, which is missing',
      ]);
    });

    it('explains an unknown order by an indeterminate checkout and counts it recovered', () => {
      const h = history();
      h.add('p1', 1);
      h.checkout('info');
      expect(counts(checkHistory(h.ops, [final('u1', {}, { oX: { p1: 1 } })]))).toEqual({ ...clean, recovered: 1 });
      expect(counts(checkHistory(h.ops, [final('u1', { p1: 1 })]))).toEqual(clean);
    });

    it('checks a user whose read-back is missing against an empty one', () => {
      const h = history();
      h.add('p1', 1);
      expect(counts(checkHistory(h.ops, []))).toEqual({ ...clean, lost: 1, quantity: 1, valid: false });
    });

    it('reports a line an acknowledged checkout left in the cart, with its order missing', () => {
      const h = history();
      h.set('p1', 1);
      h.checkout('ok', 'o1');
      const r = checkHistory(h.ops, [final('u1', { p1: 1 })]);
      expect(counts(r)).toEqual({ ...clean, lost: 1, quantity: 1, valid: false });
      expect(r.anomalies.map((a) => a.detail)).toEqual([
        'user u1 product p1: found 1 in the cart and none in orders, history allows 0 in the cart and 1 in 1 order',
        'user u1: checkout u1-op2 acknowledged order o1, which is missing',
      ]);
    });

    it('reports more orders than checkouts that could have been applied as duplicated', () => {
      const h = history();
      h.add('p1', 1);
      h.checkout('ok', 'o1');
      h.checkout('fail');
      const r = checkHistory(h.ops, [final('u1', {}, { o1: { p1: 1 }, o2: {} })]);
      expect(counts(r)).toEqual({ ...clean, duplicated: 1, valid: false });
      expect(r.anomalies[0]?.detail).toBe('user u1: order o2 is more orders than the 1 checkout(s) that could have been applied');
    });
  });

  it('rejects a malformed history instead of guessing', () => {
    const h = history();
    h.op('add', 'ok', { productId: 'p1' });
    expect(() => checkHistory(h.ops, [])).toThrow('add operation u1-op1 has no quantity');
  });
});
