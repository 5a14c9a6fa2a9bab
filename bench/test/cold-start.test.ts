import { describe, expect, it } from 'vitest';
import { coldStartMeasurement, parseMarks, phasesOf } from '../stages/cold-start.ts';

describe('cold start figures', () => {
  it('reads the marks line among the service log lines, and nothing from output without one', () => {
    const output = '{"level":30,"msg":"Server listening"}\ncoldstart-marks {"created":1000.5,"registered":1200,"listening":1210}\n';
    expect(parseMarks(output)).toEqual({ created: 1000.5, registered: 1200, listening: 1210 });
    expect(parseMarks('{"level":30}\n')).toBeUndefined();
    expect(parseMarks('coldstart-marks {"created":1}\n')).toBeUndefined();
  });

  it('splits spawn → ready into modules, plugins and first answer, which add up to the whole', () => {
    const phases = phasesOf(500, 1400, { created: 1000, registered: 1250, listening: 1260 });
    expect(phases).toEqual({ modulesMs: 500, pluginsMs: 250, firstAnswerMs: 150 });
    expect(phases.modulesMs + phases.pluginsMs + phases.firstAnswerMs).toBe(900);
  });

  it('reports medians in seconds and MiB, with the phases only when measured', () => {
    const m = coldStartMeasurement('catalog', [
      { readyMs: 900, rssMiB: 140, phases: { modulesMs: 500, pluginsMs: 250, firstAnswerMs: 150 } },
      { readyMs: 700, rssMiB: 150, phases: { modulesMs: 400, pluginsMs: 200, firstAnswerMs: 100 } },
      { readyMs: 2000, rssMiB: 130, phases: { modulesMs: 1500, pluginsMs: 300, firstAnswerMs: 200 } },
    ]);
    expect(m.section).toBe('cold start');
    expect(m.subject).toBe('catalog');
    expect(m.figures['median to ready']).toEqual({ value: 900, unit: 'ms' });
    expect(m.figures['RSS at ready']).toEqual({ value: 140, unit: 'MiB' });
    expect(m.figures.modules).toEqual({ value: 500, unit: 'ms' });
    expect(m.figures.plugins).toEqual({ value: 250, unit: 'ms' });
    expect(m.figures['first answer']).toEqual({ value: 150, unit: 'ms' });
    expect(m.note).toContain('median of 3');
    expect(Object.keys(coldStartMeasurement('cart', [{ readyMs: 800, rssMiB: 120 }]).figures)).toEqual(['median to ready', 'RSS at ready']);
  });
});
