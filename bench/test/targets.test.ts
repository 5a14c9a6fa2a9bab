import { describe, expect, it } from 'vitest';
import { figure, type Measurement } from '../lib/results.ts';
import { evaluateTargets } from '../lib/targets.ts';

const SERVICES = ['auth', 'catalog', 'cart'];

/** Every row the targets read, each value at `scale` × its bound (below 1: inside it for upper bounds). */
function allRows(overrides: Partial<Record<string, number>> = {}): Measurement[] {
  const v = (name: string, fallback: number) => overrides[name] ?? fallback;
  return [
    { section: 'routes', subject: 'catalog cached GET', via: 'one replica, direct', figures: { 'of limit': figure(v('of limit', 0.6), 'ratio') } },
    { section: 'routes', subject: 'catalog cached GET', via: 'one pod, direct', figures: { 'req/s': figure(1000, 'req/s') } },
    { section: 'routes', subject: 'catalog cached GET', via: 'real controller, 3 pods', figures: { 'req/s': figure(v('controller', 900), 'req/s') } },
    { section: 'telemetry', subject: 'catalog cached GET, tracing + metrics on', figures: { cost: figure(v('cost', 0.1), 'ratio') } },
    ...SERVICES.flatMap((s) => ['process', 'pod'].map((via): Measurement => ({ section: 'cold start', subject: s, via, figures: { 'median to ready': figure(v(`start ${s} ${via}`, 800), 'ms') } }))),
    ...SERVICES.map((s): Measurement => ({ section: 'footprint', subject: `${s} replica`, via: 'process', figures: { 'RSS under load': figure(v(`rss ${s}`, 140), 'MiB') } })),
    { section: 'footprint', subject: 'local cluster during a proof run (9 replicas + nginx)', figures: { 'RSS peak, all': figure(v('cluster', 1500), 'MiB') } },
    ...['local Ingress, 3 replicas', 'real controller, 3 pods'].map((via): Measurement => ({ section: 'deletions', subject: 'p99 during deletions vs outside them', via, figures: { 'during / outside': figure(v(`p99 ${via}`, 1.5), 'x') } })),
  ];
}

describe('targets', () => {
  it('are all met when every figure is inside its bound', () => {
    const verdicts = evaluateTargets(allRows());
    expect(verdicts).toHaveLength(7);
    expect(verdicts.map((t) => t.verdict)).toEqual(Array(7).fill('met'));
  });

  it.each([
    ['of limit', 0.49, 0],
    ['controller', 790, 1],
    ['cost', 0.16, 2],
    ['start cart pod', 1001, 3],
    ['rss auth', 151, 4],
    ['cluster', 2049, 5],
    ['p99 real controller, 3 pods', 2.1, 6],
  ])('one figure past its bound (%s = %s) misses exactly that target', (name, value, index) => {
    const verdicts = evaluateTargets(allRows({ [name]: value }));
    expect(verdicts.map((t, i) => (t.verdict === 'missed' ? i : -1)).filter((i) => i >= 0)).toEqual([index]);
  });

  it('says "not measured" instead of met when rows are missing', () => {
    expect(evaluateTargets([]).map((t) => t.verdict)).toEqual(Array(7).fill('not measured'));
    const withoutPods = allRows().filter((m) => m.via !== 'pod' && m.via !== 'real controller, 3 pods' && m.via !== 'one pod, direct');
    const verdicts = evaluateTargets(withoutPods);
    expect(verdicts[1]!.verdict).toBe('not measured');
    expect(verdicts[3]).toMatchObject({ verdict: 'not measured' });
    expect(verdicts[3]!.measured).toContain('auth (process) 800 ms');
  });
});
