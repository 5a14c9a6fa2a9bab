import { describe, expect, it } from 'vitest';
import { peakOf, podUsage, totals, workloadOf, type StatsSummary } from '../kube/kubelet-stats.ts';
import { apiStartTimes } from '../kube/pod-timing.ts';

const MiB = 1024 * 1024;
const pod = (name: string, namespace: string, workingSetMiB: number, rssMiB: number, nanoCores: number) => ({
  podRef: { name, namespace },
  cpu: { usageNanoCores: nanoCores },
  memory: { workingSetBytes: workingSetMiB * MiB, rssBytes: rssMiB * MiB },
});

describe("the kubelet's stats summary", () => {
  it("reads the namespace's pods in MiB and millicores, falling back to the sum of containers", () => {
    const summary: StatsSummary = {
      pods: [
        pod('anypod-catalog-5d8f9c7b6d-x2x9q', 'anypod', 80, 70, 250_000_000),
        pod('coredns-1', 'kube-system', 30, 20, 1_000_000),
        {
          podRef: { name: 'anypod-postgres-0', namespace: 'anypod' },
          containers: [
            { name: 'postgres', memory: { workingSetBytes: 40 * MiB, rssBytes: 10 * MiB }, cpu: { usageNanoCores: 5_000_000 } },
            { name: 'exporter', memory: { workingSetBytes: 8 * MiB, rssBytes: 6 * MiB }, cpu: { usageNanoCores: 1_000_000 } },
          ],
        },
        // just created: no figures yet, not a pod of 0 MiB
        { podRef: { name: 'anypod-cart-5d8f9c7b6d-aaaaa', namespace: 'anypod' } },
      ],
    };
    expect(podUsage(summary, 'anypod')).toEqual([
      { pod: 'anypod-catalog-5d8f9c7b6d-x2x9q', workingSet: 80, rss: 70, cpuMillicores: 250 },
      { pod: 'anypod-postgres-0', workingSet: 48, rss: 16, cpuMillicores: 6 },
    ]);
    expect(totals(podUsage(summary, 'anypod'))).toEqual({ workingSet: 128, rss: 86, cpuMillicores: 256, pods: 2 });
  });

  it('names the workload of a pod', () => {
    expect(workloadOf('anypod-catalog-5d8f9c7b6d-x2x9q')).toBe('anypod-catalog');
    expect(workloadOf('anypod-postgres-0')).toBe('anypod-postgres');
    expect(workloadOf('anypod-valkey-6c9b8d7f5-abcde')).toBe('anypod-valkey');
  });

  it('peaks per pod, and the total as the largest sum of one sample', () => {
    const a = { pod: 'a', workingSet: 10, rss: 5, cpuMillicores: 100 };
    const b = { pod: 'b', workingSet: 20, rss: 8, cpuMillicores: 10 };
    const peak = peakOf([
      [a, b],
      [{ ...a, workingSet: 30, cpuMillicores: 50 }, { ...b, workingSet: 1, cpuMillicores: 300 }],
    ]);
    expect(peak.perPod).toEqual([
      { pod: 'a', workingSet: 30, rss: 5, cpuMillicores: 100 },
      { pod: 'b', workingSet: 20, rss: 8, cpuMillicores: 300 },
    ]);
    // 30 + 20 never happened at once: the samples' sums are 30 and 31
    expect(peak.total).toEqual({ workingSet: 31, rss: 13, cpuMillicores: 350, pods: 2 });
  });
});

describe("a pod's start from the API", () => {
  it('times the container start and the creation to the Ready condition', () => {
    const pod = {
        metadata: { creationTimestamp: '2026-12-01T01:00:00Z' },
        status: {
          conditions: [
            { type: 'Initialized', status: 'True', lastTransitionTime: '2026-12-01T01:00:00Z' },
            { type: 'Ready', status: 'True', lastTransitionTime: '2026-12-01T01:00:04Z' },
          ],
          containerStatuses: [
            { name: 'catalog', state: { running: { startedAt: '2026-12-01T01:00:02Z' } } },
            { name: 'sidecar', state: { running: { startedAt: '2026-12-01T01:00:03Z' } } },
          ],
        },
      };
    expect(apiStartTimes(pod, 'catalog')).toEqual({ containerToReadyMs: 2_000, createdToReadyMs: 4_000 });
    // no container named: the last one to start
    expect(apiStartTimes(pod)).toEqual({ containerToReadyMs: 1_000, createdToReadyMs: 4_000 });
  });

  it('is undefined before the pod is Ready', () => {
    expect(apiStartTimes({ metadata: { creationTimestamp: '2026-12-01T01:00:00Z' }, status: { conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [] } })).toBeUndefined();
  });
});
