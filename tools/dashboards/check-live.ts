// Runs every dashboard query against a live Prometheus and says, per query, how many series came
// back or what went wrong. A panel whose query returns nothing is worse than no panel: the live
// tests (here against a Prometheus on loopback, and on the one-node Kubernetes) fail on any.
//   node --import tsx tools/dashboards/check-live.ts --prometheus http://127.0.0.1:9090 [--namespace anypod] [--skip cadvisor]
// exits 1 when a query errs or is empty (queries of a skipped source are listed, not run).
import { PromQL } from '../observability/promql.ts';
import { SERVICE_NAMES } from './panels.ts';
import { committedDashboards } from './index.ts';
import type { MetricSource } from './promql.ts';
import { concreteQueries, type ConcreteQuery, type Substitutions } from './queries.ts';

export interface LiveResult {
  query: ConcreteQuery;
  /** series in the instant result (0 = empty); undefined when the query failed or was skipped */
  series?: number;
  /** Prometheus' error, or the HTTP failure */
  error?: string;
  /** why it was not run (a source the caller said this Prometheus lacks) */
  skipped?: string;
}

export interface LiveCheckOptions {
  /** http://host:port of Prometheus' HTTP API */
  prometheusUrl: string;
  /** the namespace the release runs in ($namespace) */
  namespace: string;
  /** the services selected ($service); default all three */
  services?: readonly string[];
  /** the other variables (see Substitutions); defaults suit a Prometheus that has run a few minutes */
  substitutions?: Omit<Substitutions, 'namespace' | 'services'>;
  /** the queries to run; default every query of the committed dashboards */
  queries?: ConcreteQuery[];
  /** sources this Prometheus does not scrape (e.g. cadvisor on the local cluster): their queries are reported as skipped */
  skipSources?: MetricSource[];
  /** bound on one query (default 10 s) */
  timeoutMs?: number;
}

/** Every query, one after another (Prometheus answers each in milliseconds; no need to crowd it). */
export async function checkLive(options: LiveCheckOptions): Promise<LiveResult[]> {
  const queries =
    options.queries ??
    concreteQueries(committedDashboards(), { namespace: options.namespace, services: options.services ?? SERVICE_NAMES, ...options.substitutions });
  const skip = new Set(options.skipSources ?? []);
  const prom = new PromQL(options.prometheusUrl, options.timeoutMs);
  const results: LiveResult[] = [];
  for (const query of queries) {
    const lacking = query.sources.filter((s) => skip.has(s));
    if (lacking.length > 0) {
      results.push({ query, skipped: `needs ${lacking.join(', ')}, which this Prometheus does not scrape` });
      continue;
    }
    try {
      results.push({ query, series: (await prom.vector(query.promql)).length });
    } catch (error) {
      // Prometheus' own message (a parse error, a many-to-many match), or why it did not answer
      results.push({ query, error: (error as Error).message });
    }
  }
  return results;
}

/** The results that fail the check: errors and empty results (skipped ones are not failures). */
export const failures = (results: LiveResult[]): LiveResult[] => results.filter((r) => r.error !== undefined || r.series === 0);

/** One line per query: its series count (or error, or why skipped), dashboard, panel. */
export function formatResults(results: LiveResult[]): string {
  return results
    .map((r) => {
      const what = `${r.query.file} ${r.query.kind} "${r.query.name}"${r.query.refId ? ` ${r.query.refId}` : ''}`;
      if (r.skipped) return `  skip   ${what}: ${r.skipped}`;
      if (r.error) return `  ERROR  ${what}: ${r.error}\n         ${r.query.promql}`;
      return r.series === 0 ? `  EMPTY  ${what}\n         ${r.query.promql}` : `  ${String(r.series).padStart(5)}  ${what}`;
    })
    .join('\n');
}

function arg(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  const prometheusUrl = arg(args, '--prometheus');
  if (!prometheusUrl) {
    console.error('usage: node --import tsx tools/dashboards/check-live.ts --prometheus http://127.0.0.1:9090 [--namespace anypod] [--skip cadvisor]');
    return 2;
  }
  const skip = arg(args, '--skip');
  const results = await checkLive({ prometheusUrl, namespace: arg(args, '--namespace') ?? 'anypod', skipSources: skip ? (skip.split(',') as MetricSource[]) : [] });
  console.log(formatResults(results));
  const failed = failures(results);
  console.log(`${results.length} queries: ${failed.length} failed, ${results.filter((r) => r.skipped).length} skipped`);
  return failed.length > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(await main(process.argv.slice(2)));
