// The one-node Kubernetes for the bench: used as it is when it is up with the release, brought up
// (tools/kube/up.sh, then deploy.sh with the proof's values) when it is not — and then taken down
// again at the end. A cluster that was already up stays up, its release too.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@anypod/tools/cluster/paths.ts';
import { DEFAULT_NAMESPACE, DEFAULT_RELEASE } from '@anypod/tools/kube/proof/kube-cluster.ts';
import { helm, kubeEnv } from '@anypod/tools/kube/proof/kube-env.ts';

const execFileAsync = promisify(execFile);
const KUBE = join(REPO_ROOT, 'tools/kube');

/** Runs one of tools/kube's scripts; its output goes to the log, line by line, prefixed. */
async function script(name: string, args: string[], log: (line: string) => void, timeoutMs: number): Promise<void> {
  const started = Date.now();
  log(`kube: ${name} ${args.join(' ')} ...`);
  try {
    // The bench runs pinned to the servers' CPU: the cluster's components (API server, kubelet,
    // containerd and so every pod) must not inherit that, so the scripts get every CPU back.
    const all = ['taskset', '-c', `0-${availableParallelism() - 1}`];
    await execFileAsync(all[0]!, [...all.slice(1), 'bash', join(KUBE, name), ...args], { cwd: REPO_ROOT, timeout: timeoutMs, killSignal: 'SIGTERM', maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    const tail = `${e.stdout ?? ''}\n${e.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`tools/kube/${name} failed: ${e.message.split('\n')[0]}\n${tail}`, { cause: error });
  }
  log(`kube: ${name} done in ${Math.round((Date.now() - started) / 1000)} s`);
}

async function clusterUp(): Promise<boolean> {
  if (!existsSync(kubeEnv().KUBECONFIG)) return false;
  try {
    await execFileAsync('bash', [join(KUBE, 'status.sh')], { cwd: REPO_ROOT, timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

async function releaseInstalled(): Promise<boolean> {
  try {
    await helm(['status', DEFAULT_RELEASE, '--namespace', DEFAULT_NAMESPACE], { timeoutMs: 60_000 });
    return true;
  } catch {
    return false;
  }
}

export interface KubeSession {
  /** what this run started, for the output */
  started: string;
  /** whether this run started the cluster (and so takes it down) */
  broughtUp: boolean;
  /** takes down what this run brought up (nothing when the cluster was already up) */
  release: () => Promise<void>;
}

/**
 * Makes sure the cluster is up with the release deployed with tools/kube/proof-values.yaml (the
 * proof's settings: all shoppers come from one address, so the per-IP login limit is raised —
 * the bench's shoppers too). Needs root to bring the cluster up.
 */
export async function ensureKube(log: (line: string) => void): Promise<KubeSession> {
  const up = await clusterUp();
  const deployArgs = ['--values', join(KUBE, 'proof-values.yaml')];
  if (up && (await releaseInstalled())) return { started: 'nothing (the cluster and the release were up)', broughtUp: false, release: async () => undefined };
  if (up) {
    // The cluster was someone's: the release installed here stays, as the cluster does.
    await script('deploy.sh', deployArgs, log, 15 * 60_000);
    return { started: 'the release (deploy.sh with proof-values.yaml; left installed, the cluster was already up)', broughtUp: false, release: async () => undefined };
  }
  if (process.getuid?.() !== 0) throw new Error('the one-node Kubernetes is not up and bringing it up needs root (tools/kube/up.sh): run make bench as root, or make kube-up && make kube-deploy first');
  const down = (): Promise<void> => script('down.sh', [], log, 5 * 60_000);
  try {
    await script('up.sh', [], log, 20 * 60_000);
    await script('deploy.sh', deployArgs, log, 20 * 60_000);
  } catch (error) {
    await down().catch((e: Error) => log(`kube: down.sh after a failed start failed too: ${e.message}`));
    throw error;
  }
  return { started: 'the cluster and the release (up.sh, deploy.sh with proof-values.yaml), taken down at the end', broughtUp: true, release: down };
}
