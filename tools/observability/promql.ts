// A small typed client of Prometheus's HTTP API (https://prometheus.io/docs/prometheus/2.42/querying/api/):
// instant queries, series and targets — what the tests and the dashboard checks ask of it.

export type Labels = Record<string, string>;

/** One element of an instant vector: its labels and [unix seconds, value]. */
export interface Sample {
  metric: Labels;
  value: [number, string];
}

/** One series of a range vector (`up[1m]` evaluated at an instant): its labels and every [unix seconds, value]. */
export interface Series {
  metric: Labels;
  values: [number, string][];
}

export interface Target {
  /** labels after relabelling: what every series scraped from it carries (with `job` and `instance`) */
  labels: Labels;
  discoveredLabels: Labels;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

type Result = { resultType: 'vector'; result: Sample[] } | { resultType: 'matrix'; result: Series[] } | { resultType: 'scalar' | 'string'; result: [number, string] };

export class PromQLError extends Error {}

export class PromQL {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  private async get<T>(path: string, params: Record<string, string | string[] | undefined>): Promise<T> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value]) search.append(key, v);
    }
    const url = `${this.baseUrl}${path}?${search}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await res.text();
    let body: { status: string; data?: T; error?: string; errorType?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new PromQLError(`GET ${url} answered ${res.status}, not JSON: ${text.slice(0, 300)}`);
    }
    if (body.status !== 'success') throw new PromQLError(`GET ${url}: ${body.errorType ?? res.status}: ${body.error ?? text.slice(0, 300)}`);
    return body.data as T;
  }

  private query(expr: string, time?: Date): Promise<Result> {
    return this.get<Result>('/api/v1/query', { query: expr, time: time && String(time.getTime() / 1000) });
  }

  /** An instant query whose result is a vector (what a panel's expression gives); throws on any other type. */
  async vector(expr: string, time?: Date): Promise<Sample[]> {
    const data = await this.query(expr, time);
    if (data.resultType !== 'vector') throw new PromQLError(`${expr}: a ${data.resultType}, not a vector`);
    return data.result;
  }

  /** An instant query of a range selector (`up{pod="x"}[2m]`): every sample of each series in the range. */
  async matrix(expr: string, time?: Date): Promise<Series[]> {
    const data = await this.query(expr, time);
    if (data.resultType !== 'matrix') throw new PromQLError(`${expr}: a ${data.resultType}, not a range vector`);
    return data.result;
  }

  /** The label sets of every series matching any of the selectors in [start, end] (default: the last 5 minutes). */
  series(match: string[], range: { start?: Date; end?: Date } = {}): Promise<Labels[]> {
    const end = range.end ?? new Date();
    const start = range.start ?? new Date(end.getTime() - 5 * 60_000);
    return this.get<Labels[]>('/api/v1/series', { 'match[]': match, start: String(start.getTime() / 1000), end: String(end.getTime() / 1000) });
  }

  /** The active targets: what service discovery currently lists, with each one's last scrape. */
  async targets(): Promise<Target[]> {
    const data = await this.get<{ activeTargets: Target[] }>('/api/v1/targets', { state: 'active' });
    return data.activeTargets;
  }
}
