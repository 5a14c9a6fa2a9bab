// Resident memory from /proc: what the kernel charges a process now (VmRSS), in MiB, and the
// peak of a set of processes sampled while something runs.
import { readFileSync } from 'node:fs';

const MIB = 1024 * 1024;

/** VmRSS of a process in MiB, or undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line ? (Number(line[1]) * 1024) / MIB : undefined;
  } catch {
    return undefined;
  }
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
