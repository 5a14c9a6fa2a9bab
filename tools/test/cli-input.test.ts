// The tools' one way of reading command-line input (tools/config/cli-input.ts): flags over
// variables, defaults, conversion, and an error that names the flag or variable and what it must be.
import { Type } from '@sinclair/typebox';
import { describe, expect, it, vi } from 'vitest';
import { parseFlags, parseOrUsage, readInput, UsageError } from '../config/cli-input.ts';

const Schema = Type.Object({
  RUN_VUS: Type.Integer({ minimum: 1, default: 8, flag: '--vus', description: 'an integer ≥ 1' }),
  ROUTING: Type.Union([Type.Literal('round-robin'), Type.Literal('sticky')], { default: 'round-robin', description: 'round-robin or sticky' }),
  summary: Type.Optional(Type.String({ minLength: 1, maxLength: 64, flag: '--summary <file>', description: 'a file' })),
});

describe('cli-input: flags and variables through a TypeBox schema', () => {
  it('applies defaults, converts numbers, reads variables by name, and lets a flag win', () => {
    expect(readInput(Schema, { argv: [], env: {} })).toEqual({ RUN_VUS: 8, ROUTING: 'round-robin' });
    expect(readInput(Schema, { env: { RUN_VUS: '3', ROUTING: 'sticky', IGNORED: 'x' } })).toEqual({ RUN_VUS: 3, ROUTING: 'sticky' });
    expect(readInput(Schema, { argv: ['--vus', '5', '--summary', 's.json'], env: { RUN_VUS: '3', ROUTING: '' } })).toEqual({ RUN_VUS: 5, ROUTING: 'round-robin', summary: 's.json' });
  });

  it('names the variable and flag, what it must be, and what it got', () => {
    expect(() => readInput(Schema, { env: { RUN_VUS: '0' } })).toThrow(new UsageError('RUN_VUS/--vus must be an integer ≥ 1, got "0"'));
    expect(() => readInput(Schema, { argv: ['--vus', '1.5'] })).toThrow('RUN_VUS/--vus must be an integer ≥ 1, got "1.5"');
    expect(() => readInput(Schema, { env: { ROUTING: 'random' } })).toThrow('ROUTING must be round-robin or sticky, got "random"');
    const Required = Type.Object({ summary: Type.String({ minLength: 1, flag: '--summary <file>', description: 'a file' }) });
    expect(() => readInput(Required, { argv: [] })).toThrow('--summary <file> is required: a file');
  });

  it('reads a boolean property with a flag as a switch: present or not, no value', () => {
    const Switch = Type.Object({ quick: Type.Boolean({ default: false, flag: '--quick' }), out: Type.Optional(Type.String({ flag: '--out' })) });
    expect(readInput(Switch, { argv: [] })).toEqual({ quick: false });
    expect(readInput(Switch, { argv: ['--quick', '--out', 'd'] })).toEqual({ quick: true, out: 'd' });
    expect(() => readInput(Switch, { argv: ['--quick=yes'] })).toThrow(UsageError);
  });

  it('refuses an unknown flag, a flag without its value and a positional argument; --help asks for the usage', () => {
    for (const argv of [['--bogus'], ['--vus'], ['extra']]) expect(() => readInput(Schema, { argv })).toThrow(UsageError);
    expect(() => readInput(Schema, { argv: ['-h'] })).toThrow(new UsageError(''));
  });

  it('parseFlags (a CLI taking files): positionals where allowed, node\'s refusals as UsageErrors', () => {
    const options = { check: { type: 'boolean' as const } };
    expect(parseFlags({ args: ['--check', 'a.js', 'b.js'], options, allowPositionals: true })).toMatchObject({ values: { check: true }, positionals: ['a.js', 'b.js'] });
    const unknown = () => parseFlags({ args: ['--bogus'], options, allowPositionals: true });
    expect(unknown).toThrow(UsageError);
    expect(unknown).toThrow(/Unknown option '--bogus'/);
    expect(() => parseFlags({ args: ['a.js'], options })).toThrow(UsageError);
  });

  it('parseOrUsage prints the problem and the usage line (the caller exits 2); other errors pass through', () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    try {
      expect(parseOrUsage(() => readInput(Schema, { env: { RUN_VUS: 'many' } }), 'usage: x [--vus N]')).toBeUndefined();
      expect(errors).toEqual(['RUN_VUS/--vus must be an integer ≥ 1, got "many"', 'usage: x [--vus N]']);
      expect(parseOrUsage(() => 42, 'usage')).toBe(42);
      expect(() =>
        parseOrUsage(() => {
          throw new TypeError('a bug');
        }, 'usage'),
      ).toThrow(TypeError);
    } finally {
      spy.mockRestore();
    }
  });
});
