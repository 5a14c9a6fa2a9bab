// handleSummary for the scripts: k6's summary data as JSON into a file (what `make load-report`
// reads, with the --out json time series), and a few lines on stdout a person reads first — the
// thresholds, each held or broken, and the numbers behind the claim. (Defining handleSummary
// replaces k6's own end-of-test summary; its full text version lives in a remote jslib module,
// which a bundle that must load offline does not import.)
import { LOAD_METRICS as M } from '@anypod/scenarios/load-metrics';

interface MetricSummary {
  type: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface SummaryData {
  metrics: Record<string, MetricSummary>;
  state?: { testRunDurationMs?: number };
}

/**
 * Where the JSON goes: SUMMARY_FILE, or <script>-summary.json in the current directory — k6 opens
 * the file and makes no folder for it, so a default in a folder that may not exist would be lost.
 */
function summaryPath(script: string): string {
  return __ENV.SUMMARY_FILE || `${script}-summary.json`;
}

const HEADLINE = [
  [M.usersChecked, 'count', 'users whose writes were read back and checked'],
  [M.writesAcknowledged, 'count', 'writes acknowledged'],
  [M.writesLost, 'count', 'lost'],
  [M.writesDuplicated, 'count', 'duplicated'],
  [M.writesUnexpected, 'count', 'unexpected'],
  [M.sessionsLost, 'count', 'sessions lost (401 after sign-in)'],
  [M.missingLines, 'count', 'cart reads lacking an acknowledged line'],
  [M.podsPerSession, 'min', 'fewest pods that served one session (any service)'],
  ['http_reqs', 'count', 'requests'],
  ['http_req_failed', 'rate', 'failed requests (rate)'],
] as const;

export function textSummary(data: SummaryData): string {
  const lines: string[] = [];
  for (const [name, value, label] of HEADLINE) {
    const metric = data.metrics[name];
    if (metric?.values[value] !== undefined) lines.push(`  ${label}: ${Number(metric.values[value].toFixed(4))}`);
  }
  lines.push('thresholds:');
  let broken = 0;
  for (const [name, metric] of Object.entries(data.metrics).sort(([a], [b]) => a.localeCompare(b))) {
    for (const [expression, result] of Object.entries(metric.thresholds ?? {})) {
      if (!result.ok) broken++;
      lines.push(`  ${result.ok ? '✓' : '✗'} ${name}: ${expression}`);
    }
  }
  lines.push(broken === 0 ? 'every threshold held' : `${broken} threshold(s) broken: the claim did not hold in this run`);
  return `${lines.join('\n')}\n`;
}

export function summaryFiles(script: string): (data: SummaryData) => Record<string, string> {
  return (data) => {
    const path = summaryPath(script);
    return { stdout: `${script}\n${textSummary(data)}summary data: ${path}\n`, [path]: JSON.stringify(data, null, 2) };
  };
}
