import { describe, expect, it } from 'vitest';
import { median, quantile } from '@anypod/tools/build/stats.ts';
import { figure, formatFigure, loadFigures, ratio, renderTables, type LoadFigures } from '../lib/results.ts';

const load = (rps: number): LoadFigures => ({ requests: rps * 10, durationS: 10, rps, p50Ms: 1.234, p99Ms: 12.5, errors: 0, unexpectedStatus: 0, byStatus: { 200: rps * 10 } });

describe('results', () => {
  it('computes quantiles by nearest rank and medians', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile(values, 1)).toBe(100);
    expect(quantile([], 0.5)).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('never makes up a ratio to a missing or zero reference', () => {
    expect(ratio(5, 10)).toBe(0.5);
    expect(ratio(5, 0)).toBeNaN();
    expect(ratio(5, undefined)).toBeNaN();
  });

  it('shows a load run against the limit, and its failures only when there are some', () => {
    expect(loadFigures(load(2000), load(8000))['of limit']).toEqual(figure(0.25, 'ratio'));
    expect(loadFigures(load(2000))).not.toHaveProperty('of limit');
    expect(loadFigures(load(2000))).not.toHaveProperty('failed');
    expect(loadFigures({ ...load(2000), errors: 2, unexpectedStatus: 3 }).failed).toEqual(figure(5, 'requests'));
  });

  it('formats figures for the table', () => {
    expect(formatFigure(figure(0.254, 'ratio'))).toBe('25 %');
    expect(formatFigure(figure(0.054, 'ratio'))).toBe('5.4 %');
    expect(formatFigure(figure(12345.6, 'req/s'))).toBe('12,346');
    expect(formatFigure(figure(1.234, 'ms'))).toBe('1.23 ms');
    expect(formatFigure(figure(11, 'pods'))).toBe('11 pods');
    expect(formatFigure(figure(Number.NaN, 'ms'))).toBe('—');
  });

  it('renders one table per section with the union of its columns', () => {
    const text = renderTables([
      { section: 'routes', subject: 'a', via: 'direct', figures: { 'req/s': figure(10, 'req/s') } },
      { section: 'routes', subject: 'b', via: 'ingress', figures: { 'req/s': figure(5, 'req/s'), 'of direct': figure(0.5, 'ratio') }, note: 'x|y' },
      { section: 'limit', subject: 'hello', figures: { 'req/s': figure(100, 'req/s') } },
    ]);
    expect(text).toContain('### routes\n\n|  | via | req/s | of direct | how |');
    expect(text).toContain('| a | direct | 10 |  |  |');
    expect(text).toContain('| b | ingress | 5 | 50 % | x\\|y |');
    expect(text).toContain('### limit\n\n|  | req/s |\n| --- | --- |\n| hello | 100 |');
  });
});
