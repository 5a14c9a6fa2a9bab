// The chart's previous version, from git: the chart folder as it was just before the commit that
// gave helm/anypod/Chart.yaml its current version, exported into a folder. The operations run upgrades
// the release from it to this version under load (the most common pod replacement in practice).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../cluster/paths.ts';

const CHART = 'helm/anypod';

const versionIn = (chartYaml: string): string => /^version:\s*"?([^"\s]+)"?\s*$/m.exec(chartYaml)?.[1] ?? '';
const git = (args: string[]): string => execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

export interface PreviousChart {
  version: string;
  /** the commit it was taken from */
  commit: string;
  /** the chart as it was */
  dir: string;
  /** the temporary folder it was exported into: remove it when done */
  root: string;
}

export function currentChartVersion(): string {
  return versionIn(readFileSync(join(REPO_ROOT, CHART, 'Chart.yaml'), 'utf8'));
}

export function previousChart(): PreviousChart {
  const current = currentChartVersion();
  if (git(['rev-parse', '--is-shallow-repository']).trim() === 'true') {
    throw new Error('this clone is shallow: the previous chart version is read from git history (git fetch --unshallow)');
  }
  // The commit that moved Chart.yaml to the current version: the chart just before it (its
  // parent, the whole chart folder as it was then) is the previous version as released.
  for (const commit of git(['log', '--format=%H', '--', `${CHART}/Chart.yaml`]).trim().split('\n').filter(Boolean)) {
    if (versionIn(git(['show', `${commit}:${CHART}/Chart.yaml`])) !== current) continue;
    const parent = `${commit}^`;
    let before: string;
    try {
      before = versionIn(git(['show', `${parent}:${CHART}/Chart.yaml`]));
    } catch {
      continue; // the chart did not exist before this commit
    }
    if (before && before !== current) {
      const released = git(['rev-parse', parent]).trim();
      const dir = mkdtempSync(join(tmpdir(), `anypod-chart-${before}-`));
      execFileSync('bash', ['-c', 'git -C "$1" archive "$2" "$3" | tar -x -C "$4"', '_', REPO_ROOT, released, CHART, dir]);
      return { version: before, commit: released, dir: join(dir, CHART), root: dir };
    }
  }
  throw new Error(`no earlier chart version than ${current} in git history`);
}
