// Lints what is not TypeScript: shellcheck over every tracked *.sh file, and actionlint over the
// users' CI workflows (.github/workflows), with shellcheck checking their run: blocks too. Each
// check runs once on the repository and once on a small broken copy made here (an unquoted
// variable, an unused one in a sourced file, a bad expression, a loop over ls output), which must
// fail — so an empty file list or a tool that silently checks nothing cannot pass.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goToolPath } from '../../go/go-tools.ts';
import { REPO_ROOT } from '../../k8s/render.ts';

interface Run {
  status: number;
  output: string;
}

function run(command: string, args: string[], cwd: string): Run {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

/** shellcheck comes from Debian (tools/infra/ensure-packages.sh); missing means fail, not skip. */
function requireShellcheck(): void {
  const found = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) {
    throw new Error('shellcheck is not installed: `make test-setup` installs it (tools/infra/ensure-packages.sh, Debian package shellcheck)');
  }
}

/** The *.sh files git tracks under root, relative to it. */
function trackedScripts(root: string): string[] {
  const listed = run('git', ['ls-files', '-z', '--', '*.sh'], root);
  if (listed.status !== 0) throw new Error(`git ls-files failed in ${root}: ${listed.output}`);
  return listed.output.split('\0').filter((file) => file !== '');
}

// SCRIPTDIR + external sources: `source "$(dirname "$0")/common.sh"` is followed from the
// script's own folder, so variables set there count as used and sourced files are checked too.
function shellcheck(root: string, files: string[]): Run {
  return run('shellcheck', ['--source-path=SCRIPTDIR', '--external-sources', '--format=gcc', ...files], root);
}

function workflows(root: string): string[] {
  const dir = join(root, '.github/workflows');
  return readdirSync(dir)
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => join('.github/workflows', file));
}

// -shellcheck names the binary so the run: blocks are always checked (actionlint silently skips
// them when it finds no shellcheck); -pyflakes= turns off the Python check (no Python run: blocks).
function actionlint(root: string, files: string[]): Run {
  return run(goToolPath('actionlint'), ['-no-color', '-shellcheck=shellcheck', '-pyflakes=', ...files], root);
}

const scratch: string[] = [];
function scratchRepo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'anypod-lint-'));
  scratch.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  expect(run('git', ['init', '-q'], root).status).toBe(0);
  expect(run('git', ['add', '.'], root).status).toBe(0);
  return root;
}
afterAll(() => {
  for (const root of scratch) rmSync(root, { recursive: true, force: true });
});

describe('shellcheck', () => {
  it('passes on every tracked *.sh file', () => {
    requireShellcheck();
    const files = trackedScripts(REPO_ROOT);
    // The infra, image and quickstart scripts: a pathspec or cwd mistake would find none.
    expect(files.length, `tracked scripts: ${files.join(' ')}`).toBeGreaterThanOrEqual(10);
    expect(files).toContain('tools/go/go-tools.sh');
    const result = shellcheck(REPO_ROOT, files);
    expect(result.output, 'shellcheck findings (fix them, or disable one with a reason comment)').toBe('');
    expect(result.status).toBe(0);
  });

  it('fails on a tracked script with an unquoted variable, and on an unused one in a sourced file', () => {
    requireShellcheck();
    const root = scratchRepo({
      'bin/clean.sh': '#!/usr/bin/env bash\nset -euo pipefail\nsource "$(dirname "$0")/lib.sh"\ndir=$1\nrm -rf $dir/cache\n',
      'bin/lib.sh': '# shellcheck shell=bash\nunused_setting=1\n',
    });
    const files = trackedScripts(root);
    expect(files.sort()).toEqual(['bin/clean.sh', 'bin/lib.sh']);
    const result = shellcheck(root, files);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/bin\/clean\.sh:5:\d+: .*SC2086/);
    expect(result.output).toMatch(/bin\/lib\.sh:2:\d+: .*SC2034/);
  });
});

describe('actionlint (with shellcheck on run: blocks)', () => {
  it('passes on every workflow in .github/workflows', () => {
    requireShellcheck();
    const files = workflows(REPO_ROOT);
    for (const name of ['test.yml', 'chart.yml', 'kind.yml']) expect(files).toContain(`.github/workflows/${name}`);
    const result = actionlint(REPO_ROOT, files);
    expect(result.output, 'actionlint findings').toBe('');
    expect(result.status).toBe(0);
  });

  it('fails on a workflow with a bad expression and on a run: block that loops over ls output', () => {
    requireShellcheck();
    const root = scratchRepo({
      '.github/workflows/bad.yml': [
        'name: bad',
        'on: push',
        'jobs:',
        '  build:',
        '    runs-on: ubuntu-24.04',
        '    steps:',
        '      - run: echo "${{ secret.TOKEN }}"',
        '      - run: |',
        '          for file in $(ls *.log); do gzip "$file"; done',
        '',
      ].join('\n'),
    });
    const result = actionlint(root, workflows(root));
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/undefined variable "secret"/);
    // (actionlint turns SC2086 off for run: blocks, so the variant iterates over ls output)
    expect(result.output).toMatch(/shellcheck reported issue in this script: SC2045/);
  });
});
