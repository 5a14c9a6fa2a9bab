// `helm template` output kept on disk for the length of a test run, keyed by everything that
// decides it: helm's binary, its arguments, and the bytes of every chart and values file. The
// validation, policy and contract tests each render the defaults and every ci variant in their
// own worker; with this each render runs once (about 0.3 s apiece on the 2-core machine).
// A changed chart or values file is a new key, so nothing stale is ever read.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { goToolPath } from '../go/go-tools.ts';
import { CHART_DIR, renderText, type RenderOptions } from './render.ts';

const CACHE_DIR = join(tmpdir(), 'anypod-helm-renders');
/** Entries older than this are removed when the cache is written: a run takes minutes, not hours. */
const MAX_AGE_MS = 6 * 3600_000;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort();
}

let helmPath: string | undefined;

function keyOf(options: RenderOptions): string {
  const hash = createHash('sha256');
  // The binary's path holds the hash of its pins (tools/go/go-tools.sh), so a new helm is a new key.
  helmPath ??= goToolPath('helm');
  hash.update(helmPath);
  hash.update(JSON.stringify(options));
  for (const file of [...filesUnder(CHART_DIR), ...(options.valuesFiles ?? [])]) {
    hash.update(`\0${relative(CHART_DIR, file)}\0`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 32);
}

function prune(): void {
  const now = Date.now();
  for (const name of readdirSync(CACHE_DIR)) {
    const path = join(CACHE_DIR, name);
    try {
      if (now - statSync(path).mtimeMs > MAX_AGE_MS) rmSync(path, { force: true });
    } catch {
      // Another worker removed it first.
    }
  }
}

/** renderText with the disk cache; a failing render is never cached (its error is thrown each time). */
export function renderTextCached(options: RenderOptions = {}): string {
  mkdirSync(CACHE_DIR, { recursive: true });
  const path = join(CACHE_DIR, `${keyOf(options)}.yaml`);
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // Not rendered yet in this run.
  }
  const text = renderText(options);
  // Written beside and renamed: a worker reading at the same moment sees all of it or nothing.
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, text);
  renameSync(partial, path);
  prune();
  return text;
}
