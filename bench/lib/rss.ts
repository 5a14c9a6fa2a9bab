// Resident memory from /proc: what the kernel charges a process now (VmRSS), in MiB, and the
// peak of a set of processes sampled while something runs.
import { processRssMiB } from '@anypod/tools/build/cold-start.ts';

/** VmRSS of a process in MiB, or undefined once it is gone (tools/build's reader: 0 = no process). */
export function rssMiB(pid: number): number | undefined {
  return processRssMiB(pid) || undefined;
}

export interface RssPeaks {
  /** the largest RSS each PID had in any sample */
  perPid: Map<number, number>;
  /** the largest sum over all PIDs sampled at the same moment */
  total: number;
  samples: number;
}

/**
 * Samples the RSS of `pids()` (asked again at each sample: replicas come and go) every
 * `intervalMs` until stop(), which returns the peaks.
 */
export function sampleRss(pids: () => number[], intervalMs = 250): { stop: () => RssPeaks } {
  const peaks: RssPeaks = { perPid: new Map(), total: 0, samples: 0 };
  const sample = (): void => {
    let total = 0;
    for (const pid of pids()) {
      const rss = rssMiB(pid);
      if (rss === undefined) continue;
      total += rss;
      peaks.perPid.set(pid, Math.max(peaks.perPid.get(pid) ?? 0, rss));
    }
    peaks.total = Math.max(peaks.total, total);
    peaks.samples++;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}
