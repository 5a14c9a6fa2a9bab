// Reading a service's /metrics the way Prometheus does (text exposition format 0.0.4), for tests:
// the value of one series, and the naming rules every family must follow.
// https://prometheus.io/docs/instrumenting/exposition_formats/
// https://prometheus.io/docs/practices/naming/
import { ALLOWED_LABELS, FAMILIES } from '../anypod-metrics.ts';
import { UNMATCHED_ROUTE } from '../metrics.ts';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let consumed = 0;
  for (let match = LABEL.exec(text); match; match = LABEL.exec(text)) {
    labels[match[1] as string] = (match[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    consumed = LABEL.lastIndex;
  }
  if (consumed !== text.length) throw new Error(`cannot parse the labels of: ${line}`);
  return labels;
}

const SUFFIXES = ['_bucket', '_sum', '_count'];

/** The families of an exposition, by name; a sample belongs to the family its TYPE line named. */
export function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) families.set(name, (found = { name, type: 'untyped', help: '', samples: [] }));
    return found;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'HELP') family(name).help = rest;
      else family(name).type = rest;
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`cannot parse the exposition line: ${line}`);
    const [, name, labelText, value] = match as unknown as [string, string, string | undefined, string];
    const base = SUFFIXES.map((s) => (name.endsWith(s) ? name.slice(0, -s.length) : undefined)).find((b) => b !== undefined && families.get(b)?.type === 'histogram');
    family(base ?? name).samples.push({ name, labels: labelText ? parseLabels(labelText, line) : {}, value: Number(value) });
  }
  return families;
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};

/**
 * The value of the series with exactly these labels. Throws when it does not exist: a test that
 * reads 0 for a missing series could not tell "not counted yet" from "never exported".
 */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const family of parseExposition(text).values()) {
    const sample = family.samples.find((s) => s.name === name && sameLabels(s.labels, labels));
    if (sample) return sample.value;
  }
  throw new Error(`no series ${name}${JSON.stringify(labels)} in the exposition`);
}

/** Every series of a family (for a histogram: its _bucket, _sum and _count samples). */
export function samplesOf(text: string, family: string): Sample[] {
  return parseExposition(text).get(family)?.samples ?? [];
}

const keyOf = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/**
 * How the series named `name` moved between two scrapes (a counter or gauge, or a histogram's
 * `_count`): only those that moved, keyed "label=value,…" in exposition order. A test compares it
 * with exactly what it expects, so a count in the wrong series, or one too many, fails as surely
 * as a missing one.
 */
export function changes(before: string, after: string, name: string): Record<string, number> {
  const values = (text: string) => {
    const samples = [...parseExposition(text).values()].flatMap((f) => f.samples).filter((s) => s.name === name);
    // "Nothing moved" must not pass for series that are not exported at all.
    if (samples.length === 0) throw new Error(`no series ${name} in the exposition`);
    return new Map(samples.map((s) => [keyOf(s.labels), s.value]));
  };
  const was = values(before);
  const moved: Record<string, number> = {};
  for (const [key, value] of values(after)) {
    const delta = value - (was.get(key) ?? 0);
    if (delta !== 0) moved[key] = delta;
  }
  return moved;
}

/**
 * Waits until the series named `name` moved by exactly `expected` since `before`: for what is
 * recorded after the response has gone (anypod_session_requests_total). Fails with what it saw.
 */
export async function waitForChanges(scrape: () => Promise<string>, before: string, name: string, expected: Record<string, number>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = changes(before, await scrape(), name);
  while (JSON.stringify(seen) !== JSON.stringify(expected)) {
    if (Date.now() > deadline) throw new Error(`${name} moved by ${JSON.stringify(seen)}, expected ${JSON.stringify(expected)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    seen = changes(before, await scrape(), name);
  }
}

/**
 * Labels that a user's Prometheus attaches from discovery: a scraped label of the same name is
 * renamed exported_<name>, and every dashboard that groups by it breaks.
 */
export const TARGET_LABELS = ['namespace', 'pod', 'container', 'service', 'instance', 'job'] as const;
/** Labels of prom-client's default metrics (nodejs_*, process_*) and of every histogram (le). */
const DEFAULT_METRIC_LABELS = ['le', 'type', 'space', 'kind', 'version', 'major', 'minor', 'patch'];
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Units that are not base units (Prometheus: seconds, bytes). */
const NON_BASE_UNIT = /_(milliseconds|millis|ms|microseconds|us|nanoseconds|ns|minutes|hours|days|kilobytes|kb|megabytes|mb|gigabytes|gb|percent)(_|$)/;
/** Words naming a time or a duration: such a family carries its unit, seconds. */
const TIME_WORD = /(^|_)(duration|latency|time|lag|elapsed|delay|age|uptime)(_|$)/;

const OWN_FAMILIES = new Map<string, { type: string; labels: Record<string, readonly string[]> }>(Object.values(FAMILIES).map((f) => [f.name, f]));
const isOwn = (name: string) => name.startsWith('anypod_') || name.startsWith('http_');

/** What is wrong with the families of an exposition, one line per problem (empty: all good). */
export function namingProblems(text: string): string[] {
  const problems: string[] = [];
  const allowed = new Set<string>([...ALLOWED_LABELS, ...DEFAULT_METRIC_LABELS]);
  for (const family of parseExposition(text).values()) {
    const { name, type } = family;
    const problem = (what: string) => problems.push(`${name}: ${what}`);
    if (!/^[a-z][a-z0-9_]*$/.test(name)) problem('is not snake_case');
    if (family.help.trim().length < 10) problem('has no help text saying what it counts');
    if (type === 'counter' && !name.endsWith('_total')) problem('is a counter whose name does not end in _total');
    if (type === 'histogram' && !/_(seconds|bytes)$/.test(name)) problem('is a histogram without a base unit (_seconds or _bytes) at the end of its name');
    if (NON_BASE_UNIT.test(name)) problem('names a unit that is not a base unit (use seconds or bytes)');
    if (TIME_WORD.test(name) && !/_seconds(_total)?$/.test(name)) problem('measures time but does not end in _seconds');
    if (isOwn(name)) {
      const declared = OWN_FAMILIES.get(name);
      if (!declared) problem('is not declared in anypod-metrics.ts (FAMILIES)');
      else if (declared.type !== type) problem(`is exposed as a ${type}, declared as a ${declared.type}`);
      if (type !== 'counter' && name.endsWith('_total')) problem('ends in _total but is not a counter');
      for (const sample of family.samples) {
        for (const [label, value] of Object.entries(sample.labels)) {
          const values = declared?.labels[label];
          if (values && !values.includes(value)) problem(`label ${label}="${value}" is not one of ${values.join('|')}`);
          if (label === 'method' && !HTTP_METHODS.has(value)) problem(`label method="${value}" is not an HTTP method`);
          if (label === 'status_code' && !/^[1-5]\d\d$/.test(value)) problem(`label status_code="${value}" is not a status code`);
          if (label === 'route' && value !== UNMATCHED_ROUTE && !value.startsWith('/')) problem(`label route="${value}" is neither a route template nor "${UNMATCHED_ROUTE}"`);
        }
      }
    }
    const labels = new Set(family.samples.flatMap((s) => Object.keys(s.labels)));
    for (const label of labels) {
      if ((TARGET_LABELS as readonly string[]).includes(label)) problem(`carries "${label}", a label Prometheus attaches from discovery (it would become exported_${label})`);
      else if (!allowed.has(label)) problem(`carries "${label}", which is not in the bounded set ${[...allowed].join(', ')}`);
    }
  }
  return problems;
}
