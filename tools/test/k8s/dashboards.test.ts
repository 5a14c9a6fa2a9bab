// The dashboards as code (tools/dashboards) against what they generate and what they may ask: the
// committed JSON is exactly what the code generates; every query reads known metrics, selects by
// both variables and never by a label that differs between Prometheus setups; every service
// metric family is on some dashboard; the variables substitute into PromQL with nothing left over.
// Each check is shown failing on a broken copy. (The queries run against a live Prometheus in
// tools/test/cluster/dashboards-live.test.ts, and on the one-node Kubernetes.)
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAMILIES } from '@anypod/platform/anypod-metrics';
import { afterAll, describe, expect, it } from 'vitest';
import { committedDashboards, DASHBOARDS, DASHBOARDS_DIR, diffDashboards, renderDashboards } from '../../dashboards/index.ts';
import { SERVICE_NAMES } from '../../dashboards/panels.ts';
import { METRICS } from '../../dashboards/promql.ts';
import { concreteQueries, dashboardQueries, metricNames, queryProblems, substitute, type DashboardQuery } from '../../dashboards/queries.ts';

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

const allQueries = (): DashboardQuery[] => committedDashboards().flatMap(({ file, model }) => dashboardQueries(file, model));

describe('helm/anypod/dashboards is what tools/dashboards generates', () => {
  it('the committed JSON matches the code (make dashboards regenerates it)', () => {
    expect(diffDashboards(), 'run `make dashboards` and commit helm/anypod/dashboards').toEqual([]);
    expect(committedDashboards().map((d) => d.file)).toEqual(DASHBOARDS.map((d) => d.file).sort());
  });

  it('a hand edit, a missing file and a stray file are each named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'anypod-dashboards-'));
    scratch.push(dir);
    cpSync(DASHBOARDS_DIR, dir, { recursive: true });
    const red = join(dir, 'anypod-red.json');
    writeFileSync(red, readFileSync(red, 'utf8').replace('"title": "p99 per service"', '"title": "p99 per service (edited)"'));
    rmSync(join(dir, 'anypod-deletions.json'));
    writeFileSync(join(dir, 'old.json'), '{}');
    expect(diffDashboards(dir)).toEqual([
      'anypod-red.json: differs from the code in tools/dashboards',
      'anypod-deletions.json: missing',
      'old.json: no dashboard in tools/dashboards generates it (stale)',
    ]);
  });

  it('a change in the code shows as drift: the generated text follows the builders', () => {
    const changed = new Map(renderDashboards());
    changed.set('anypod-any-pod.json', changed.get('anypod-any-pod.json')!.replace('Requests per pod', 'Requests by pod'));
    expect(diffDashboards(DASHBOARDS_DIR, changed)).toEqual(['anypod-any-pod.json: differs from the code in tools/dashboards']);
  });
});

describe('what the dashboards ask Prometheus', () => {
  it('every query reads known metrics, selects by namespace and service, and never by job, instance or service', () => {
    const queries = allQueries();
    console.log(`${queries.length} queries: ${queries.filter((q) => q.kind === 'panel').length} panel targets, ${queries.filter((q) => q.kind === 'annotation').length} annotations, ${queries.filter((q) => q.kind === 'variable').length} variables`);
    const problems = queries.flatMap((q) => queryProblems(q).map((p) => `${q.file} "${q.name}": ${p}`));
    expect(problems).toEqual([]);
  });

  it('the rules are not vacuous: a query by job, one without the service variable and one of an unknown metric are named', () => {
    const base: DashboardQuery = { file: 'x.json', dashboard: 'x', name: 'x', kind: 'panel', refId: 'A', expr: '', sources: [] };
    expect(queryProblems({ ...base, expr: 'sum by (job) (rate(http_requests_total{namespace=~"$namespace", container=~"$service"}[5m]))' })).toEqual([
      'uses the label job, which differs between Prometheus setups (select by namespace and container, group by pod or container)',
    ]);
    expect(queryProblems({ ...base, expr: 'up{namespace=~"$namespace", service="cart"}' })).toEqual([
      'uses the label service, which differs between Prometheus setups (select by namespace and container, group by pod or container)',
      'selector {namespace=~"$namespace", service="cart"} does not select namespace=~"$namespace" and container=~"$service"',
    ]);
    expect(queryProblems({ ...base, expr: 'rate(http_request_total{namespace=~"$namespace", container=~"$service"}[5m])' })).toEqual([
      'reads http_request_total, which no known source exposes (tools/dashboards/promql.ts METRICS)',
    ]);
  });

  it('every metric family of the services is on a dashboard, and no panel needs kube-state-metrics', () => {
    const read = new Set(allQueries().flatMap((q) => metricNames(q.expr)));
    const unread = Object.values(FAMILIES).filter((f) => ![f.name, `${f.name}_bucket`, `${f.name}_count`].some((n) => read.has(n)));
    expect(unread.map((f) => f.name)).toEqual([]);
    expect([...read].filter((m) => m.startsWith('kube_'))).toEqual([]);
    // the only queries that need more than the services and Prometheus: the kubelet's cAdvisor
    expect(allQueries().filter((q) => q.sources.includes('cadvisor')).map((q) => q.name)).toEqual(['CPU per pod (cAdvisor)', 'Memory working set per pod (cAdvisor)']);
    expect(METRICS.cadvisor).toHaveLength(2);
  });

  it('each dashboard: a unique uid, unique panel ids, a description on every panel, at least one query per panel', () => {
    const models = committedDashboards();
    expect(new Set(models.map((d) => d.model.uid)).size).toBe(models.length);
    for (const { file, model } of models) {
      const panels = (model.panels ?? []) as Array<{ id?: number; type?: string; title?: string; description?: string; targets?: unknown[] }>;
      expect(new Set(panels.map((p) => p.id)).size, file).toBe(panels.length);
      for (const panel of panels.filter((p) => p.type !== 'row')) {
        expect(panel.description, `${file} "${panel.title}"`).toBeTruthy();
        expect(panel.targets?.length, `${file} "${panel.title}"`).toBeGreaterThan(0);
      }
      expect(model.templating?.list?.map((v) => v.name)).toEqual(['datasource', 'namespace', 'service']);
    }
  });
});

describe('the queries with Grafana\'s variables filled in', () => {
  it('leave nothing of Grafana\'s behind, for one service and for all of them', () => {
    for (const services of [['cart'], SERVICE_NAMES]) {
      const queries = concreteQueries(committedDashboards(), { namespace: 'anypod', services });
      expect(queries.length).toBe(allQueries().length);
      for (const q of queries) expect(q.promql, `${q.file} "${q.name}"`).not.toMatch(/\$|\[\[/);
    }
    const one = substitute('rate(x{namespace=~"$namespace", container=~"$service"}[$__rate_interval]) / $__range', { namespace: 'shop', services: ['auth', 'cart'] });
    expect(one).toBe('rate(x{namespace=~"shop", container=~"(auth|cart)"}[1m]) / 1h');
  });

  it('an unknown variable, and a namespace that is not a DNS label, are refused', () => {
    expect(() => substitute('up{pod=~"$pod"}', { namespace: 'anypod', services: ['cart'] })).toThrow(/unknown Grafana variable \$pod/);
    expect(() => substitute('up{namespace=~"$namespace"}', { namespace: 'any.*', services: ['cart'] })).toThrow(/not a namespace or container name/);
  });
});
