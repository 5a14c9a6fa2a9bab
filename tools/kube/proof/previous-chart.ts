// The chart's previous version, from git: the chart folder as the commit that gave
// helm/anypod/Chart.yaml its previous version left it (that version's release), exported into a folder. The operations run upgrades
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

/** The commit that moved Chart.yaml to `version` (the version's release), newest first; undefined if none. */
function commitThatSet(version: string, commits: string[]): string | undefined {
  for (const commit of commits) {
    if (versionIn(git(['show', `${commit}:${CHART}/Chart.yaml`])) !== version) continue;
    let before = '';
    try {
      before = versionIn(git(['show', `${commit}^:${CHART}/Chart.yaml`]));
    } catch {
      // the chart did not exist before this commit: it was born at this version
    }
    if (before !== version) return commit;
  }
  return undefined;
}

export function previousChart(): PreviousChart {
  const current = currentChartVersion();
  if (git(['rev-parse', '--is-shallow-repository']).trim() === 'true') {
    throw new Error('this clone is shallow: the previous chart version is read from git history (git fetch --unshallow)');
  }
  const commits = git(['log', '--format=%H', '--', `${CHART}/Chart.yaml`]).trim().split('\n').filter(Boolean);
  // The version before the current one is what Chart.yaml said just before the current version
  // was set; that version is taken as it was released — the commit that set it — not as it was
  // just before the bump, since changes for the new version may land before their bump.
  const bump = commitThatSet(current, commits);
  let before: string;
  try {
    before = bump ? versionIn(git(['show', `${bump}^:${CHART}/Chart.yaml`])) : '';
  } catch {
    before = ''; // the chart was born at the current version
  }
  const released = before ? commitThatSet(before, commits) : undefined;
  if (!released) throw new Error(`no earlier chart version than ${current} in git history`);
  const dir = mkdtempSync(join(tmpdir(), `anypod-chart-${before}-`));
  execFileSync('bash', ['-c', 'git -C "$1" archive "$2" "$3" | tar -x -C "$4"', '_', REPO_ROOT, released, CHART, dir]);
  return { version: before, commit: released, dir: join(dir, CHART), root: dir };
}
