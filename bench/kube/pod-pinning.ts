// Pods' processes pinned by PID, as the bench pins what it did not start: the service pods on the
// servers' CPU, the Postgres and Valkey pods on the load side (lib/pinning.ts). A container's
// host PID comes from the runtime (crictl inspect → info.pid, through the cluster's containerd);
// its descendants are pinned with it. Replacement pods are pinned as they appear (a pinner that
// polls), so a deletion does not leave an unpinned pod behind.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { goToolPath } from '@anypod/tools/go/go-tools.ts';
import type { KubeCluster } from '@anypod/tools/kube/proof/kube-cluster.ts';
import { kubeEnv } from '@anypod/tools/kube/proof/kube-env.ts';
import { pinTree, type Pinning, type Side } from '../lib/pinning.ts';

const execFileAsync = promisify(execFile);

/** A pod as the cluster's informer holds it (the API's Pod). */
export type Pod = ReturnType<KubeCluster['podsOf']>[number];

/** Host PIDs of a pod's running containers (not its pause sandbox). */
export async function containerPids(pod: Pod): Promise<number[]> {
  const pids: number[] = [];
  for (const status of pod.status?.containerStatuses ?? []) {
    const id = status.containerID?.replace(/^containerd:\/\//, '');
    if (!id || !status.state?.running) continue;
    try {
      const { stdout } = await execFileAsync(goToolPath('crictl'), ['--runtime-endpoint', `unix://${kubeEnv().CONTAINERD_SOCK}`, 'inspect', '--output', 'json', id], { timeout: 10_000 });
      const pid = (JSON.parse(stdout) as { info?: { pid?: number } }).info?.pid;
      if (pid && pid > 0) pids.push(pid);
    } catch {
      // the container exited meanwhile (a deletion): nothing to pin
    }
  }
  return pids;
}

export type SideOfPod = (pod: Pod) => Side | undefined;

/** Service pods on the servers' CPUs, the data stores' on the load side, anything else left alone. */
export const sideOfPod: SideOfPod = (pod) => {
  const component = pod.metadata?.labels?.['app.kubernetes.io/component'];
  if (component === 'postgres' || component === 'valkey') return 'load';
  if (component === 'auth' || component === 'catalog' || component === 'cart') return 'servers';
  return undefined;
};

/**
 * Pins every running container of `pods()` once (by container id), now and every `intervalMs`
 * until stopped; `pinned` lists what was pinned, for the output.
 */
export function startPodPinner(pinning: Pinning, pods: () => Pod[], intervalMs = 1_000): { pinned: Map<string, { pod: string; side: Side; pids: number[] }>; ready: Promise<void>; stop: () => Promise<void>; unpin: () => void } {
  const pinned = new Map<string, { pod: string; side: Side; pids: number[] }>();
  let stopped = false;
  const round = async (): Promise<void> => {
    for (const pod of pods()) {
      const side = sideOfPod(pod);
      if (!side || pod.metadata?.deletionTimestamp) continue;
      const fresh = (pod.status?.containerStatuses ?? []).filter((s) => s.containerID && s.state?.running && !pinned.has(s.containerID));
      if (fresh.length === 0) continue;
      const pids = await containerPids({ ...pod, status: { ...pod.status, containerStatuses: fresh } });
      for (const pid of pids) pinTree(pinning, pid, side);
      if (pids.length === fresh.length) for (const s of fresh) pinned.set(s.containerID!, { pod: pod.metadata?.name ?? '', side, pids });
    }
  };
  const ready = round();
  const loop = (async () => {
    await ready.catch(() => undefined);
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
      if (!stopped) await round().catch(() => undefined);
    }
  })();
  return {
    pinned,
    ready,
    stop: async () => {
      stopped = true;
      await loop;
    },
    // The cluster outlives the bench when it was up before: its pods get every CPU back.
    unpin: () => {
      const all: Pinning = { servers: `0-${availableParallelism() - 1}`, load: undefined, describe: '' };
      for (const { pids } of pinned.values()) for (const pid of pids) pinTree(all, pid, 'servers');
    },
  };
}
