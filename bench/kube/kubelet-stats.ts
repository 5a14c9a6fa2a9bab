// The kubelet's own view of the release's memory and CPU: /api/v1/nodes/<node>/proxy/stats/summary,
// the numbers `kubectl top` (through metrics-server) shows — working set per pod and container,
// RSS, and CPU in nanocores. Pure: parses one summary; the stage fetches and samples it.

/** The parts of the kubelet's stats/summary read here (k8s.io/kubelet/pkg/apis/stats/v1alpha1). */
export interface StatsSummary {
  pods?: Array<{
    podRef: { name: string; namespace: string };
    cpu?: { usageNanoCores?: number };
    memory?: { workingSetBytes?: number; rssBytes?: number };
    containers?: Array<{ name: string; cpu?: { usageNanoCores?: number }; memory?: { workingSetBytes?: number; rssBytes?: number } }>;
  }>;
}

export interface PodUsage {
  pod: string;
  /** MiB */
  workingSet: number;
  rss: number;
  /** CPU in millicores, as kubectl top prints it */
  cpuMillicores: number;
}

const MiB = 1024 * 1024;

/**
 * Each pod of the namespace: the pod-level figures, or the sum of its containers' when the kubelet
 * gives none for the pod (a pod's own figures include its pause container's few hundred KiB).
 * A pod without memory figures yet (just created) is left out rather than counted as 0.
 */
export function podUsage(summary: StatsSummary, namespace: string): PodUsage[] {
  const usage: PodUsage[] = [];
  for (const pod of summary.pods ?? []) {
    if (pod.podRef.namespace !== namespace) continue;
    const containers = pod.containers ?? [];
    const sum = (get: (c: (typeof containers)[number]) => number | undefined): number | undefined =>
      containers.some((c) => get(c) !== undefined) ? containers.reduce((total, c) => total + (get(c) ?? 0), 0) : undefined;
    const workingSet = pod.memory?.workingSetBytes ?? sum((c) => c.memory?.workingSetBytes);
    if (workingSet === undefined) continue;
    const rss = pod.memory?.rssBytes ?? sum((c) => c.memory?.rssBytes) ?? Number.NaN;
    const cpu = pod.cpu?.usageNanoCores ?? sum((c) => c.cpu?.usageNanoCores) ?? Number.NaN;
    usage.push({ pod: pod.podRef.name, workingSet: workingSet / MiB, rss: rss / MiB, cpuMillicores: cpu / 1e6 });
  }
  return usage.sort((a, b) => a.pod.localeCompare(b.pod));
}

/** What a pod is, for a row: its Deployment's or StatefulSet's name without the pod's hash suffix. */
export function workloadOf(pod: string): string {
  return pod.replace(/-[a-z0-9]{8,10}-[a-z0-9]{5}$/, '').replace(/-\d+$/, '');
}

export interface UsageTotals {
  workingSet: number;
  rss: number;
  cpuMillicores: number;
  pods: number;
}

export function totals(usage: readonly PodUsage[]): UsageTotals {
  return {
    workingSet: usage.reduce((t, u) => t + u.workingSet, 0),
    rss: usage.reduce((t, u) => t + u.rss, 0),
    cpuMillicores: usage.reduce((t, u) => t + u.cpuMillicores, 0),
    pods: usage.length,
  };
}

/**
 * The peak of several samples: per pod, the largest working set / RSS / CPU seen; the release's
 * total, the largest sum of one sample (pods peak at different moments: summing per-pod peaks
 * would count a moment that never happened).
 */
export function peakOf(samples: ReadonlyArray<readonly PodUsage[]>): { perPod: PodUsage[]; total: UsageTotals } {
  const perPod = new Map<string, PodUsage>();
  let total: UsageTotals = { workingSet: 0, rss: 0, cpuMillicores: 0, pods: 0 };
  for (const sample of samples) {
    for (const u of sample) {
      const seen = perPod.get(u.pod);
      perPod.set(u.pod, seen ? { pod: u.pod, workingSet: Math.max(seen.workingSet, u.workingSet), rss: Math.max(seen.rss, u.rss), cpuMillicores: Math.max(seen.cpuMillicores, u.cpuMillicores) } : { ...u });
    }
    const t = totals(sample);
    total = { workingSet: Math.max(total.workingSet, t.workingSet), rss: Math.max(total.rss, t.rss), cpuMillicores: Math.max(total.cpuMillicores, t.cpuMillicores), pods: Math.max(total.pods, t.pods) };
  }
  return { perPod: [...perPod.values()].sort((a, b) => a.pod.localeCompare(b.pod)), total };
}
