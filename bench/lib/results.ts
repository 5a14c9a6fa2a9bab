// What `make bench` measures and how it is shown: the result types every stage returns, ratios,
// and the table printed at the end (the same one the README quotes). Pure: no I/O.

/** One measured value and its unit ('req/s', 'ms', 'MiB', 's', 'ratio', 'verifications/s'). */
export interface Figure {
  value: number;
  unit: string;
}

/** One row of the results: what was measured, where, and its figures. */
export interface Measurement {
  /** the stage: 'limit', 'routes', 'telemetry', 'jwt', 'cold start', 'footprint', ... */
  section: string;
  /** what was measured: 'catalog cached GET', 'auth', 'catalog replica under load', ... */
  subject: string;
  /** where: 'one replica, direct', 'local Ingress, 3 replicas', 'real controller, 3 pods', 'process', 'pod' */
  via?: string;
  figures: Record<string, Figure>;
  /** how it was measured, when the columns do not say it (median of N, resolution, what the ratio is to) */
  note?: string;
}

/** What one load run saw (lib/load.ts). Latencies are per request, measured by the load generator. */
export interface LoadFigures {
  requests: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** connection errors and timeouts */
  errors: number;
  /** answers whose status was not one the run expected */
  unexpectedStatus: number;
  byStatus: Record<string, number>;
}

/** A target of the issue, read from the measurements: met, missed, or not measured (and why). */
export interface TargetVerdict {
  target: string;
  measured: string;
  verdict: 'met' | 'missed' | 'not measured';
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  command: string;
  commit: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; kernel: string; node: string };
  pinning: string;
  measurements: Measurement[];
  targets: TargetVerdict[];
  /** stages that could not measure, with the reason (make bench exits non-zero when there are any) */
  failures: Array<{ stage: string; error: string }>;
}

export const figure = (value: number, unit: string): Figure => ({ value, unit });

/** `value / reference`, or NaN when the reference is missing or zero (never a made-up ratio). */
export function ratio(value: number, reference: number | undefined): number {
  return reference === undefined || reference === 0 || !Number.isFinite(reference) ? Number.NaN : value / reference;
}

/** The figures of a load run as columns, with its ratio to the limit when there is one. */
export function loadFigures(load: LoadFigures, limit?: LoadFigures): Record<string, Figure> {
  const figures: Record<string, Figure> = {
    'req/s': figure(load.rps, 'req/s'),
    p50: figure(load.p50Ms, 'ms'),
    p99: figure(load.p99Ms, 'ms'),
  };
  if (limit) figures['of limit'] = figure(ratio(load.rps, limit.rps), 'ratio');
  if (load.errors + load.unexpectedStatus > 0) figures.failed = figure(load.errors + load.unexpectedStatus, 'requests');
  return figures;
}

/** The statuses of a run's failed answers, for its row's note ('' when none failed). */
export function failuresNote(load: LoadFigures, expected: (status: number) => boolean = (status) => status >= 200 && status < 300): string {
  const parts = Object.entries(load.byStatus).filter(([status]) => !expected(Number(status))).map(([status, count]) => `${count} × ${status}`);
  if (load.errors > 0) parts.push(`${load.errors} connection errors`);
  return parts.length === 0 ? '' : `failed: ${parts.join(', ')}`;
}

/** A figure as the table shows it: ratios as percentages, small numbers with decimals. */
export function formatFigure({ value, unit }: Figure): string {
  if (!Number.isFinite(value)) return '—';
  if (unit === 'ratio') return `${(value * 100).toFixed(value < 0.1 ? 1 : 0)} %`;
  const digits = Number.isInteger(value) || Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const number = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit === 'req/s' || unit === 'requests' || unit === 'verifications/s' ? number : `${number} ${unit}`;
}

/**
 * The results as Markdown tables, one per section, columns the union of that section's figure
 * names in first-seen order (the README quotes this output as it is).
 */
export function renderTables(measurements: Measurement[]): string {
  const sections = [...new Set(measurements.map((m) => m.section))];
  return sections
    .map((section) => {
      const rows = measurements.filter((m) => m.section === section);
      const columns = [...new Set(rows.flatMap((m) => Object.keys(m.figures)))];
      const hasVia = rows.some((m) => m.via);
      const hasNote = rows.some((m) => m.note);
      const header = ['', ...(hasVia ? ['via'] : []), ...columns, ...(hasNote ? ['how'] : [])];
      const lines = rows.map((m) => [m.subject, ...(hasVia ? [m.via ?? ''] : []), ...columns.map((c) => (m.figures[c] ? formatFigure(m.figures[c]) : '')), ...(hasNote ? [m.note ?? ''] : [])]);
      return [`### ${section}`, '', row(header), row(header.map(() => '---')), ...lines.map(row)].join('\n');
    })
    .join('\n\n');
}

export function renderTargets(targets: TargetVerdict[]): string {
  const mark = { met: 'met', missed: '**missed**', 'not measured': 'not measured' } as const;
  return [row(['target', 'measured', '']), row(['---', '---', '---']), ...targets.map((t) => row([t.target, t.measured, mark[t.verdict]]))].join('\n');
}

const row = (cells: string[]): string => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
