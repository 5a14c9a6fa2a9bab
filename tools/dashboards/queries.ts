// Every PromQL expression of the dashboards — panel targets, annotations and the variables' own
// queries — read from the dashboard JSON (what Grafana will run, not what the code meant), with
// Grafana's variables replaced by concrete values so Prometheus itself can run them.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS, type MetricSource } from './promql.ts';

export interface DashboardQuery {
  /** the dashboard's file name, e.g. anypod-red.json */
  file: string;
  dashboard: string;
  /** panel title, annotation name or variable name */
  name: string;
  kind: 'panel' | 'annotation' | 'variable';
  /** the target's refId (panels), '' otherwise */
  refId: string;
  /** the expression as stored in the JSON, with Grafana's variables */
  expr: string;
  /** where its metrics come from (a cAdvisor panel is empty where the kubelet is not scraped) */
  sources: MetricSource[];
}

interface PanelJson {
  type?: string;
  title?: string;
  targets?: Array<{ expr?: string; refId?: string }>;
  panels?: PanelJson[];
}

/** The metric names an expression reads: every identifier directly followed by a label selector. */
export function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)].map((m) => m[1]!))];
}

/** Where each metric comes from; undefined for a metric none of the sources has. */
export function sourceOf(metric: string): MetricSource | undefined {
  return (Object.keys(METRICS) as MetricSource[]).find((source) => (METRICS[source] as readonly string[]).includes(metric));
}

/**
 * `label_values(selector, label)` is Grafana's, not PromQL: the variable has values exactly when
 * `count by (label) (selector)` returns series, so that is what runs against Prometheus.
 */
export function variableExpr(query: string): string {
  const match = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/s.exec(query.trim());
  if (!match) throw new Error(`variable query ${JSON.stringify(query)} is not label_values(selector, label)`);
  return `count by (${match[2]}) (${match[1]!.trim()})`;
}

/** Every query of one dashboard. */
export function dashboardQueries(file: string, model: dashboard.Dashboard): DashboardQuery[] {
  const title = model.title ?? file;
  const out: DashboardQuery[] = [];
  const add = (q: Omit<DashboardQuery, 'file' | 'dashboard' | 'sources'>) =>
    out.push({ file, dashboard: title, ...q, sources: [...new Set(metricNames(q.expr).map((m) => sourceOf(m) ?? ('unknown' as MetricSource)))] });
  const walk = (panels: PanelJson[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr !== undefined) add({ name: panel.title ?? '(untitled)', kind: 'panel', refId: target.refId ?? '', expr: target.expr });
      }
      walk(panel.panels ?? []);
    }
  };
  walk((model.panels ?? []) as PanelJson[]);
  for (const a of model.annotations?.list ?? []) {
    if (a.expr) add({ name: a.name, kind: 'annotation', refId: '', expr: a.expr });
  }
  for (const v of model.templating?.list ?? []) {
    if (v.type === 'query' && typeof v.query === 'string') add({ name: v.name, kind: 'variable', refId: '', expr: variableExpr(v.query) });
  }
  return out;
}

/** Concrete values for Grafana's variables, as a user's selection and time range would give them. */
export interface Substitutions {
  namespace: string;
  /** the selected services; Grafana renders several as a regex alternation */
  services: readonly string[];
  /** $__rate_interval: at least four scrape intervals (Grafana's own rule); default 1m */
  rateInterval?: string;
  /** $__range: the dashboard's time range; default 1h */
  range?: string;
  /** $__interval: the step; default 15s */
  interval?: string;
}

/**
 * Namespaces and container names are DNS labels: nothing in them is special in a regex, so they
 * go in as they are (Grafana would escape specials, twice, inside PromQL's quoted strings).
 */
function label(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) throw new Error(`${JSON.stringify(value)} is not a namespace or container name (a DNS label)`);
  return value;
}

/** A multi-value variable as Grafana puts it into a regex matcher: one value plain, several as (a|b). */
function regexValue(values: readonly string[]): string {
  if (values.length === 0) throw new Error('a variable needs at least one value');
  return values.length === 1 ? label(values[0]!) : `(${values.map(label).join('|')})`;
}

/** The expression with every Grafana variable replaced; throws if one is left that it does not know. */
export function substitute(expr: string, values: Substitutions): string {
  const vars: Record<string, string> = {
    __rate_interval: values.rateInterval ?? '1m',
    __range: values.range ?? '1h',
    __interval: values.interval ?? '15s',
    namespace: label(values.namespace),
    service: regexValue(values.services),
  };
  const out = expr.replace(/\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    const value = vars[name];
    if (value === undefined) throw new Error(`unknown Grafana variable ${whole} in: ${expr}`);
    return value;
  });
  return out;
}

/** One query ready to run: the stored one and its concrete expression. */
export interface ConcreteQuery extends DashboardQuery {
  promql: string;
}

/** Every query of the given dashboards with the variables substituted. */
export function concreteQueries(dashboards: Array<{ file: string; model: dashboard.Dashboard }>, values: Substitutions): ConcreteQuery[] {
  return dashboards.flatMap(({ file, model }) => dashboardQueries(file, model).map((q) => ({ ...q, promql: substitute(q.expr, values) })));
}

/** Labels whose values differ between a Prometheus operator, the chart's own Prometheus and the local cluster. */
export const FORBIDDEN_LABELS = ['job', 'instance', 'service'] as const;

/**
 * What is wrong with a query, by the project's rules: it reads only known metrics; a panel or
 * annotation selects by both variables in every selector; nothing selects or groups by a label
 * that differs between Prometheus setups.
 */
export function queryProblems(q: DashboardQuery): string[] {
  const problems: string[] = [];
  const names = metricNames(q.expr);
  if (names.length === 0) problems.push('reads no metric (every selector needs a metric name and a {...} matcher)');
  for (const name of names) if (!sourceOf(name)) problems.push(`reads ${name}, which no known source exposes (tools/dashboards/promql.ts METRICS)`);
  const selectors = [...q.expr.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!);
  const used = [
    ...selectors.flatMap((s) => [...s.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!)),
    ...[...q.expr.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()).filter(Boolean)),
  ];
  for (const label of FORBIDDEN_LABELS) if (used.includes(label)) problems.push(`uses the label ${label}, which differs between Prometheus setups (select by namespace and container, group by pod or container)`);
  if (q.kind !== 'variable') {
    for (const s of selectors) {
      if (!s.includes('namespace=~"$namespace"') || !s.includes('container=~"$service"')) problems.push(`selector {${s}} does not select namespace=~"$namespace" and container=~"$service"`);
    }
  }
  return problems;
}
