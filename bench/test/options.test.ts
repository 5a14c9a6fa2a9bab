import { describe, expect, it } from 'vitest';
import { parseOptions, STAGES } from '../cli.ts';

describe('bench options', () => {
  it('runs every stage by default, 10-s runs, 16 connections; --quick shortens them', () => {
    expect(parseOptions([])).toMatchObject({ quick: false, stages: STAGES.map((s) => s.name), durationS: 10, connections: 16 });
    expect(parseOptions(['--quick'])).toMatchObject({ quick: true, durationS: 2 });
  });

  it('selects stages with --only and --skip, in the run order', () => {
    expect(parseOptions(['--only', 'routes,limit']).stages).toEqual(['limit', 'routes']);
    expect(parseOptions(['--skip', 'kube']).stages).not.toContain('kube');
  });

  it('refuses what it does not know, naming it', () => {
    expect(() => parseOptions(['--only', 'limit,speed'])).toThrow(/unknown stage speed/);
    expect(() => parseOptions(['--duration', '0'])).toThrow(/--duration must be a positive number/);
    expect(() => parseOptions(['--connections', '2.5'])).toThrow(/--connections must be a positive integer/);
    expect(() => parseOptions(['--fast'])).toThrow();
  });
});
