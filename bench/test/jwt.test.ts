import { describe, expect, it } from 'vitest';
import { jwtMeasurement } from '../stages/jwt.ts';

describe('jwt figures', () => {
  it('turns a loop into verifications per second and microseconds per verification', () => {
    const m = jwtMeasurement({ verifications: 800, seconds: 0.5 }, 'how');
    expect(m.section).toBe('jwt');
    expect(m.figures['verifications/s']).toEqual({ value: 1600, unit: 'verifications/s' });
    expect(m.figures['per verification']).toEqual({ value: 625, unit: 'µs' });
    expect(m.note).toBe('how');
  });

  it('refuses a loop that verified nothing rather than report zero or infinity', () => {
    expect(() => jwtMeasurement({ verifications: 0, seconds: 0.5 }, '')).toThrow(/nothing was verified/);
    expect(() => jwtMeasurement({ verifications: 10, seconds: 0 }, '')).toThrow(/nothing was verified/);
  });
});
