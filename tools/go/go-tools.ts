// The pinned Go tools (tools/go/go-tools.sh) from TypeScript: one place that knows how to ask for
// a tool's binary. go-tools.sh builds a tool on first use (into a cache outside the clone) and
// prints only its path on stdout; its progress goes to our stderr, so a long first build shows.
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../cluster/paths.ts';

const SCRIPT = join(REPO_ROOT, 'tools/go/go-tools.sh');
const paths = new Map<string, string>();
const execFileAsync = promisify(execFile);

/** A tool's binary path, built first if missing (blocks while it builds). */
export function goToolPath(name: string): string {
  let path = paths.get(name);
  if (!path) {
    path = execFileSync('bash', [SCRIPT, 'path', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    paths.set(name, path);
  }
  return path;
}

/** The same without blocking the event loop (a first build of some tools takes minutes). */
export async function goToolPathAsync(name: string): Promise<string> {
  const known = paths.get(name);
  if (known) return known;
  try {
    const { stdout } = await execFileAsync('bash', [SCRIPT, 'path', name], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const path = stdout.trim();
    paths.set(name, path);
    return path;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${name} is not available: bash tools/go/go-tools.sh path ${name} failed:\n${stderr.trim().split('\n').slice(-10).join('\n')}`, { cause: error });
  }
}

/** The Gateway API standard CRDs (a folder of YAML files). */
export function gatewayCrdsDir(): string {
  return execFileSync('bash', [SCRIPT, 'crds'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}
