// Reads the two files a k6 run leaves (load-tests/README.md): the summary handleSummary writes
// (k6's summary data object as JSON) and the time series of `k6 run --out json=FILE` (NDJSON, one
// Metric or Point per line; gzipped when the name ends in .gz, as k6 writes it). Both are checked
// against k6's formats, and every error names the file (and line) and what is wrong. The time
// series can hold millions of lines, so it is streamed: each point is handed to a visitor and
// never kept here.
// Formats: https://grafana.com/docs/k6/latest/results-output/end-of-test/custom-summary/ and
// https://grafana.com/docs/k6/latest/results-output/real-time/json/
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

export type K6MetricType = 'counter' | 'gauge' | 'rate' | 'trend';
const METRIC_TYPES: readonly string[] = ['counter', 'gauge', 'rate', 'trend'];

/** One metric of the summary: counter {count, rate}; rate {rate, passes, fails}; gauge {value, min, max}; trend {avg, min, med, max, p(N)...}. */
export interface K6SummaryMetric {
  type: K6MetricType;
  contains: string;
  values: Record<string, number>;
  /** expression → k6's verdict; only on metrics (and submetrics) that have thresholds */
  thresholds?: Record<string, { ok: boolean }>;
}

/** The parts of handleSummary's data object the report reads (root_group and options are not needed). */
export interface K6Summary {
  /** by name; a submetric a threshold created is its own entry, e.g. `anypod_pods_per_session{service:cart}` */
  metrics: Record<string, K6SummaryMetric>;
  state: { testRunDurationMs: number };
}

export interface K6Point {
  metric: string;
  /** ms since the epoch */
  timeMs: number;
  value: number;
  tags: Record<string, string>;
}

export interface K6TimeSeriesInfo {
  /** Point lines read */
  points: number;
  /** the earliest and latest point times (ms since the epoch); both 0 when there were no points */
  firstMs: number;
  lastMs: number;
  /** the metrics declared by Metric lines, with their type */
  metrics: Record<string, K6MetricType>;
}

/** Bad input: the message names the file and what is wrong with it. */
export class K6InputError extends Error {
  override name = 'K6InputError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => (Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v);

function unreadable(file: string, what: string, error: unknown): K6InputError {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return new K6InputError(`${file}: no such file (${what})`);
  if (code === 'EISDIR') return new K6InputError(`${file}: is a directory, not a file (${what})`);
  return new K6InputError(`${file}: cannot be read (${what}): ${(error as Error).message}`);
}

const SUMMARY_WHAT = 'the k6 summary: the JSON handleSummary writes';
const SERIES_WHAT = 'the k6 time series: k6 run --out json=<file>';

export async function readK6Summary(file: string): Promise<K6Summary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw unreadable(file, SUMMARY_WHAT, error);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new K6InputError(`${file}: not JSON (${SUMMARY_WHAT}): ${(error as Error).message}`);
  }
  return validateSummary(file, data);
}

/** Checks that `data` is k6's summary data object, as far as the report reads it. */
export function validateSummary(file: string, data: unknown): K6Summary {
  if (!isObject(data)) throw new K6InputError(`${file}: a k6 summary is a JSON object, this is ${describe(data)}`);
  if (!isObject(data.metrics)) {
    throw new K6InputError(`${file}: no "metrics" object; is this the data handleSummary receives (JSON.stringify(data))? top-level keys: ${Object.keys(data).join(', ') || 'none'}`);
  }
  const state = data.state;
  if (!isObject(state) || typeof state.testRunDurationMs !== 'number' || !Number.isFinite(state.testRunDurationMs)) {
    throw new K6InputError(`${file}: no number at "state.testRunDurationMs" (k6 sets it to the run's duration)`);
  }
  const metrics: Record<string, K6SummaryMetric> = {};
  for (const [name, m] of Object.entries(data.metrics)) {
    const where = `${file}: metric "${name}"`;
    if (!isObject(m)) throw new K6InputError(`${where} is ${describe(m)}, not an object`);
    if (typeof m.type !== 'string' || !METRIC_TYPES.includes(m.type)) throw new K6InputError(`${where}: "type" is ${JSON.stringify(m.type)}, not one of ${METRIC_TYPES.join(', ')}`);
    if (!isObject(m.values)) throw new K6InputError(`${where}: no "values" object`);
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(m.values)) {
      // k6 writes NaN statistics (a trend's percentiles with no samples) as null.
      if (v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new K6InputError(`${where}: values.${k} is ${JSON.stringify(v)}, not a number`);
      values[k] = v;
    }
    let thresholds: K6SummaryMetric['thresholds'];
    if (m.thresholds !== undefined) {
      if (!isObject(m.thresholds)) throw new K6InputError(`${where}: "thresholds" is ${describe(m.thresholds)}, not an object`);
      thresholds = {};
      for (const [expression, t] of Object.entries(m.thresholds)) {
        if (!isObject(t) || typeof t.ok !== 'boolean') throw new K6InputError(`${where}: threshold "${expression}" has no boolean "ok"`);
        thresholds[expression] = { ok: t.ok };
      }
    }
    metrics[name] = { type: m.type as K6MetricType, contains: typeof m.contains === 'string' ? m.contains : 'default', values, ...(thresholds ? { thresholds } : {}) };
  }
  return { metrics, state: { testRunDurationMs: state.testRunDurationMs } };
}

/**
 * Streams the time series line by line, handing each Point to `visit`. Checks every line: JSON,
 * a known type, a Metric line before its metric's first Point (k6 declares each metric once), a
 * time k6 would write and a finite value.
 */
export async function readK6TimeSeries(file: string, visit: (point: K6Point) => void): Promise<K6TimeSeriesInfo> {
  const info: K6TimeSeriesInfo = { points: 0, firstMs: 0, lastMs: 0, metrics: {} };
  const stream = createReadStream(file);
  // Opening errors (no such file) arrive as an event; wait for the open so they become ours.
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(unreadable(file, SERIES_WHAT, error)));
  });
  const source = file.endsWith('.gz') ? stream.pipe(createGunzip()) : stream;
  const lines = createInterface({ input: source, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      const point = parseLine(`${file}:${lineNo}`, line, info);
      if (!point) continue;
      info.points++;
      if (info.points === 1 || point.timeMs < info.firstMs) info.firstMs = point.timeMs;
      if (point.timeMs > info.lastMs) info.lastMs = point.timeMs;
      visit(point);
    }
  } catch (error) {
    if (error instanceof K6InputError) throw error;
    throw new K6InputError(`${file}:${lineNo + 1}: cannot be read (${SERIES_WHAT}): ${(error as Error).message}`);
  } finally {
    lines.close();
    stream.destroy();
  }
  return info;
}

function parseLine(where: string, line: string, info: K6TimeSeriesInfo): K6Point | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch (error) {
    throw new K6InputError(`${where}: not JSON (${SERIES_WHAT}, one JSON object per line): ${(error as Error).message}`);
  }
  if (!isObject(entry)) throw new K6InputError(`${where}: a line is a JSON object, this is ${describe(entry)}`);
  const { type, data, metric } = entry;
  if (typeof metric !== 'string' || metric === '') throw new K6InputError(`${where}: no "metric" name`);
  if (!isObject(data)) throw new K6InputError(`${where}: no "data" object`);
  if (type === 'Metric') {
    if (typeof data.type !== 'string' || !METRIC_TYPES.includes(data.type)) throw new K6InputError(`${where}: metric "${metric}" has type ${JSON.stringify(data.type)}, not one of ${METRIC_TYPES.join(', ')}`);
    info.metrics[metric] = data.type as K6MetricType;
    return undefined;
  }
  if (type !== 'Point') throw new K6InputError(`${where}: "type" is ${JSON.stringify(type)}, not "Metric" or "Point"`);
  if (!(metric in info.metrics)) throw new K6InputError(`${where}: a point of "${metric}" before its Metric line (k6 declares each metric before its first point)`);
  const timeMs = typeof data.time === 'string' ? Date.parse(data.time) : NaN;
  if (!Number.isFinite(timeMs)) throw new K6InputError(`${where}: "data.time" is ${JSON.stringify(data.time)}, not an RFC 3339 time`);
  if (typeof data.value !== 'number' || !Number.isFinite(data.value)) throw new K6InputError(`${where}: "data.value" is ${JSON.stringify(data.value)}, not a number`);
  const tags: Record<string, string> = {};
  if (data.tags !== null && data.tags !== undefined) {
    if (!isObject(data.tags)) throw new K6InputError(`${where}: "data.tags" is ${describe(data.tags)}, not an object`);
    for (const [k, v] of Object.entries(data.tags)) tags[k] = String(v);
  }
  return { metric, timeMs, value: data.value, tags };
}
