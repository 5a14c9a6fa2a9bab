// `make bench` end to end on processes, in its quick mode: every local stage measures, writes
// results.json and results.md, and the figures are figures (positive, with their ratios). What it
// measures is never judged here — the targets are read from a full `make bench`, not asserted in
// a timed test — only that the harness works and reports what it ran.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResults } from '../../../bench/lib/results.ts';
import { REPO_ROOT } from '../../cluster/paths.ts';

const run = promisify(execFile);
const LOCAL_STAGES = ['limit', 'routes', 'telemetry', 'jwt', 'cold-start', 'footprint'];
/** the section each stage's rows go to */
const SECTIONS: Record<string, string> = { limit: 'limit', routes: 'routes', telemetry: 'telemetry', jwt: 'jwt', 'cold-start': 'cold start', footprint: 'deletions' };
const outDir = mkdtempSync(join(tmpdir(), 'anypod-bench-test-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('make bench --quick on processes', { tags: ['timing'] }, () => {
  it('measures every local stage and writes its results', { timeout: 480_000 }, async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/cli.ts', '--quick', '--only', LOCAL_STAGES.join(','), '--duration', '1', '--out', outDir], { cwd: REPO_ROOT, timeout: 460_000, maxBuffer: 16 << 20 }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`bench/cli.ts failed: ${error.message}\n${error.stdout?.slice(-6000) ?? ''}\n${error.stderr?.slice(-3000) ?? ''}`);
    });
    expect(stdout).toMatch(/pinning: what is measured .* on CPU 0/);
    for (const stage of LOCAL_STAGES) expect(stdout).toMatch(new RegExp(`stage ${stage} done in \\d+ s`));
    const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as BenchResults;
    expect(results.failures).toEqual([]);
    for (const stage of LOCAL_STAGES) expect(results.measurements.some((m) => m.section === SECTIONS[stage]), `rows of stage ${stage}`).toBe(true);
    // Every figure is a number, and every load run was answered.
    for (const m of results.measurements) {
      for (const [name, f] of Object.entries(m.figures)) expect(Number.isFinite(f.value), `${m.section}/${m.subject}/${m.via ?? ''}: ${name}`).toBe(true);
      if (m.figures['req/s']) expect(m.figures['req/s'].value, `${m.subject} via ${m.via}`).toBeGreaterThan(0);
    }
    const routes = results.measurements.filter((m) => m.section === 'routes');
    expect(new Set(routes.map((m) => m.subject)).size).toBe(5);
    expect(new Set(routes.map((m) => m.via))).toEqual(new Set(['one replica, direct', 'local Ingress, 3 replicas']));
    expect(routes.every((m) => m.figures['of limit'] && m.figures['of limit'].value > 0)).toBe(true);
    // Reads answer only 2xx; writes may meet what shoppers meet under load, but not often.
    for (const m of routes) expect(m.figures.failed?.value ?? 0, `${m.subject} via ${m.via}: failed requests`).toBeLessThanOrEqual(m.subject.startsWith('catalog') || m.subject.startsWith('auth') ? 0 : 0.02 * m.figures['req/s']!.value);
    // Every target is listed; those that need the kube stage say so instead of passing.
    expect(results.targets).toHaveLength(7);
    expect(results.targets[1]).toMatchObject({ verdict: 'not measured' });
    // The local rows the targets read are found (a renamed figure would leave them "not measured").
    for (const index of [0, 2, 4, 5]) expect(results.targets[index]!.verdict, results.targets[index]!.target).not.toBe('not measured');
    for (const service of ['auth', 'catalog', 'cart']) expect(results.targets[3]!.measured).toContain(`${service} (process)`);
    expect(results.targets[6]!.measured).toContain('local Ingress, 3 replicas');
    expect(readFileSync(join(outDir, 'results.md'), 'utf8')).toContain('### targets');
  });
});
