// The tools' command-line input (flags and environment variables) validated by a TypeBox schema,
// like the services' configuration (packages/platform/src/config.ts): defaults, string-to-number
// conversion and the checks are the schema's, and a bad value is one line that names the flag or
// variable and what it must be — never a stack trace, never a silently wrong run. Each property
// may carry `flag` (`--vus`, or `--summary <file>`: errors show it whole); its `description`
// completes "must be …". A boolean property with a flag is a switch (`--quick`: present or not,
// no value; from the command line only). A CLI exits with status 2 on a UsageError (parseOrUsage).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export class UsageError extends Error {
  override name = 'UsageError';
}

type InputProperty = TSchema & { flag?: string; description?: string };

export interface InputSources {
  /** the command line (without node and the script); its flags win over `env` */
  argv?: string[];
  /** variables, read by property name; empty counts as unset */
  env?: Record<string, string | undefined>;
}

/** The option parseArgs reads for a property: `vus` for `--vus N`. */
function optionName(property: InputProperty): string | undefined {
  return property.flag?.split(' ')[0]?.slice(2);
}

/** How an error names a property: `PROOF_VUS/--vus`, `--vus` (a flag only), or `REPLICAS`. */
function label(key: string, property: InputProperty): string {
  if (!property.flag) return key;
  return optionName(property) === key ? property.flag : `${key}/${property.flag}`;
}

/**
 * Numbers are converted here, with Number(), and nothing else is (the inputs are numbers and
 * strings): TypeBox's Value.Convert truncates "1.5" to the integer 1, where a count given as 1.5 is
 * a mistake to report, not to round.
 */
function numeric(property: InputProperty): boolean {
  return property.type === 'integer' || property.type === 'number';
}

/** The flags the schema declares, as parseArgs reads them (strict: an unknown flag is an error). */
function readFlags(properties: [string, InputProperty][], argv: string[]): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [, p] of properties) {
    const name = optionName(p);
    if (name) options[name] = { type: p.type === 'boolean' ? 'boolean' : 'string' };
  }
  const { values } = parseFlags({ args: argv, options, allowPositionals: false });
  if (values.help) throw new UsageError('');
  return values as Record<string, string | boolean | undefined>;
}

/**
 * Node's parseArgs (strict), its refusals (an unknown flag, a flag without its value, a stray
 * argument) thrown as UsageErrors: for a CLI whose input is not one schema's (files as
 * positionals), so that it too answers bad input with one line and exit 2, not a stack trace.
 */
export function parseFlags<T extends Omit<ParseArgsConfig, 'strict'>>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config); // strict is parseArgs' default, and the config type leaves it out
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Reads `schema` from the flags and variables: defaults applied, numbers converted, checked. */
export function readInput<T extends TObject>(schema: T, { argv, env = {} }: InputSources): Static<T> {
  const properties = Object.entries(schema.properties) as [string, InputProperty][];
  const flags = argv ? readFlags(properties, argv) : {};
  const raw: Record<string, unknown> = {};
  for (const [key, p] of properties) {
    const name = optionName(p);
    const value = (name ? flags[name] : undefined) ?? env[key];
    if (value !== undefined && value !== '') raw[key] = numeric(p) && typeof value === 'string' && Number.isFinite(Number(value)) ? Number(value) : value;
  }
  const candidate = Value.Default(schema, structuredClone(raw));
  const first = Value.Errors(schema, candidate).First();
  if (first) {
    const key = first.path.replace(/^\//, '').split('/')[0] ?? '';
    const property = schema.properties[key] as InputProperty | undefined;
    if (!property) throw new UsageError(`invalid input: ${first.message}`);
    const what = property.description ?? first.message;
    throw new UsageError(raw[key] === undefined ? `${label(key, property)} is required: ${what}` : `${label(key, property)} must be ${what}, got "${String(raw[key])}"`);
  }
  return candidate as Static<T>;
}

/**
 * Runs `parse`; on a UsageError prints its message and the usage line to stderr and returns
 * undefined, for the caller to exit with status 2. Other errors pass through.
 */
export function parseOrUsage<C>(parse: () => C, usage: string): C | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message) console.error(error.message);
    console.error(usage);
    return undefined;
  }
}
