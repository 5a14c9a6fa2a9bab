import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { affinityOf, pinnedArgv, pinProcess, planPinning } from '../lib/pinning.ts';

describe('pinning', () => {
  it('gives CPU 0 to what is measured and the rest to the load generator', () => {
    expect(planPinning(2)).toMatchObject({ servers: '0', load: '1' });
    expect(planPinning(8)).toMatchObject({ servers: '0', load: '1-7' });
    expect(planPinning(1)).toMatchObject({ servers: undefined, load: undefined });
    expect(planPinning(1).describe).toMatch(/not pinned/);
    expect(pinnedArgv(planPinning(2), 'load', ['node', 'x.js'])).toEqual(['taskset', '-c', '1', 'node', 'x.js']);
    expect(pinnedArgv(planPinning(1), 'load', ['node', 'x.js'])).toEqual(['node', 'x.js']);
  });

  it('moves a running process with taskset, and says false for one that is gone', async () => {
    if (availableParallelism() < 2) throw new Error('this test needs 2 CPUs to see a process move (the bench pins only then)');
    const child = spawn('sleep', ['30']);
    try {
      const pinning = planPinning();
      expect(pinProcess(pinning, child.pid!, 'load')).toBe(true);
      expect(affinityOf(child.pid!)).toBe(pinning.load);
      expect(pinProcess(pinning, child.pid!, 'servers')).toBe(true);
      expect(affinityOf(child.pid!)).toBe('0');
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    expect(pinProcess(planPinning(), child.pid!, 'servers')).toBe(false);
  });
});
