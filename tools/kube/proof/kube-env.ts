// The one-node cluster's paths and the pinned kubectl/helm, for TypeScript: the paths are read
// from tools/kube/common.sh (through env.sh) so they are written once, and every kubectl/helm call
// names the kubeconfig (without one they fall back to localhost:8080, where another local service
// may answer).
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../cluster/paths.ts';
import { goToolPath } from '../../go/go-tools.ts';

const execFileAsync = promisify(execFile);

export interface KubeEnv {
  /** the host paths the kubelet, containerd and CNI use whatever they are told (space-separated) */
  HOST_PATHS: string;
  RUN_DIR: string;
  KUBECONFIG: string;
  CONTAINERD_SOCK: string;
  NODE_NAME: string;
  NODE_IP: string;
  BRIDGE: string;
  POD_SUPERNET: string;
  SERVICE_CIDR: string;
  GUARD_CHAIN: string;
  KUBE_PROXY_METRICS: string;
  PID_DIR: string;
  LOG_DIR: string;
  PROMETHEUS_PORT: string;
  JAEGER_PORT: string;
  OTLP_PORT: string;
  PROMETHEUS_SD_PORT: string;
}

let cached: KubeEnv | undefined;
export function kubeEnv(): KubeEnv {
  if (cached) return cached;
  const text = execFileSync('bash', [join(REPO_ROOT, 'tools/kube/env.sh')], { encoding: 'utf8', env: process.env });
  cached = Object.fromEntries(text.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])) as unknown as KubeEnv;
  return cached;
}

export interface ToolRun {
  stdout: string;
  stderr: string;
}

async function runTool(name: 'kubectl' | 'helm', args: string[], kubeconfig: string, timeoutMs: number): Promise<ToolRun> {
  try {
    const { stdout, stderr } = await execFileAsync(goToolPath(name), ['--kubeconfig', kubeconfig, ...args], {
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      cwd: REPO_ROOT,
    });
    return { stdout, stderr };
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${name} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: error });
  }
}

/** kubectl on the cluster of `kubeconfig` (default: the one-node cluster's). */
export function kubectl(args: string[], { kubeconfig = kubeEnv().KUBECONFIG, timeoutMs = 120_000 } = {}): Promise<ToolRun> {
  return runTool('kubectl', args, kubeconfig, timeoutMs);
}

/** helm on the cluster of `kubeconfig` (default: the one-node cluster's). */
export function helm(args: string[], { kubeconfig = kubeEnv().KUBECONFIG, timeoutMs = 600_000 } = {}): Promise<ToolRun> {
  return runTool('helm', args, kubeconfig, timeoutMs);
}
