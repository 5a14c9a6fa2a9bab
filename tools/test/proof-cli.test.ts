import { describe, expect, it } from 'vitest';
import { UsageError } from '../config/cli-input.ts';
import { parseConfig, selectRuns, summaryTable } from '../proof/cli.ts';
import { sampleReport } from './fixtures/sample-report.ts';

describe('proof CLI configuration', () => {
  it('defaults to the five runs, 45 s each, a deletion every 10 s, 3 replicas', () => {
    const c = parseConfig([], {});
    expect(c).toMatchObject({ durationS: 45, killEveryS: 10, replicas: 3, minKills: 3 });
    expect(c.runs.map((r) => r.name)).toEqual(['stateless-graceful', 'stateless-sigkill', 'stateless-hang', 'stateful-round-robin', 'stateful-sticky']);
    expect(c.outDir).toMatch(/out\/proof$/);
  });

  it('reads the environment, and flags win over it', () => {
    const env = { PROOF_DURATION_S: '8', PROOF_KILL_EVERY_S: '2.5', PROOF_VUS: '6', REPLICAS: '2', PROOF_RUNS: 'sigkill,a' };
    const c = parseConfig(['--vus', '4'], env);
    expect(c).toMatchObject({ durationS: 8, killEveryS: 2.5, vus: 4, replicas: 2 });
    expect(c.runs.map((r) => r.name)).toEqual(['stateless-graceful', 'stateless-sigkill']);
  });

  it('selects runs by name, short name or letter, always in the proof order', () => {
    expect(selectRuns('e,d').map((r) => r.name)).toEqual(['stateful-round-robin', 'stateful-sticky']);
    expect(selectRuns('hang,c').map((r) => r.name)).toEqual(['stateless-hang']);
    expect(selectRuns('memory,stateless-graceful').map((r) => r.name)).toEqual(['stateless-graceful', 'stateful-round-robin']);
    expect(selectRuns('all')).toHaveLength(5);
    expect(() => selectRuns('graceful,bogus')).toThrow(UsageError);
  });

  it('refuses nonsense with the variable named', () => {
    expect(() => parseConfig([], { PROOF_VUS: '0' })).toThrow(/PROOF_VUS/);
    expect(() => parseConfig([], { REPLICAS: '1' })).toThrow(/REPLICAS.*≥ 2/);
    expect(() => parseConfig(['--duration', 'soon'], {})).toThrow(/--duration/);
    expect(() => parseConfig(['--bogus'], {})).toThrow();
  });

  it('prints a summary table with one row per run and the checks that were not met', () => {
    const report = sampleReport();
    report.runs[0]!.checks.push({ id: 'lost-writes', expected: { max: 0 }, actual: 2, pass: false });
    const table = summaryTable(report);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^run\s+kills/);
    for (const run of report.runs) expect(table).toContain(run.name);
    expect(table).toContain(`${report.runs[0]!.name}: lost writes: expected 0, got 2`);
  });
});
