// podman as the image tests run it, written once for images.test.ts (the services' images) and
// standin-images.test.ts (the stand-ins): always through tools/images/podman.sh (the project's
// own storage and configuration, like make images), one error for a run that fails, a clear
// failure when podman does not run at all, and a deliberately broken variant of an image built
// offline from a few Containerfile lines (what each test shows its checks catching).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../k8s/render.ts';

const PODMAN = join(REPO_ROOT, 'tools/images/podman.sh');

export interface Run {
  status: number;
  stdout: string;
  output: string;
}

export function podman(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Run {
  const result = spawnSync('bash', [PODMAN, ...args], { encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 32 * 1024 * 1024 });
  if (result.error) throw new Error(`podman ${args.join(' ')} could not run: ${result.error.message}`);
  return { status: result.status ?? 1, stdout: result.stdout.trim(), output: `${result.stdout}${result.stderr}` };
}

export function mustPodman(args: string[], opts?: { input?: string }): string {
  const run = podman(args, opts);
  if (run.status !== 0) throw new Error(`podman ${args.join(' ')} failed (exit ${run.status}):\n${run.output}`);
  return run.stdout;
}

/** Throws when podman does not run here; `install` says how to get it. */
export function requirePodman(install: string): void {
  const version = spawnSync('bash', [PODMAN, 'version', '--format', '{{.Client.Version}}'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`podman does not run (tools/images/podman.sh): ${version.stdout}${version.stderr}\n${install}`);
}

/** Builds `ref` offline (no pull, no network) from a Containerfile of these lines, in a folder removed afterwards. */
export function buildBroken(ref: string, containerfile: string[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'anypod-broken-image-'));
  try {
    writeFileSync(join(dir, 'Containerfile'), containerfile.join('\n'));
    mustPodman(['build', '--pull=never', '--network', 'none', '-t', ref, dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
