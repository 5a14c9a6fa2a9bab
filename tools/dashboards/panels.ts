// The building blocks every anypod dashboard shares, over @grafana/grafana-foundation-sdk: the
// three variables (data source, namespace, service), and panel shapes with their PromQL. Panels
// are laid out by the SDK's grid (rows across, 24 columns); ids are given here, in order, so the
// generated JSON is stable and links to a panel survive a regeneration.
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as statetimeline from '@grafana/grafana-foundation-sdk/statetimeline';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** Every panel reads the Prometheus the `datasource` variable picks: no uid of one Grafana is baked in. */
export const DATASOURCE: dashboard.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** The services the variable offers (the chart's container names): the same three on every install. */
export const SERVICE_NAMES = ['auth', 'catalog', 'cart'] as const;
const SERVICE_REGEX = SERVICE_NAMES.join('|');

/** The variables of every dashboard: data source, namespace (one), service (= container; several, default all). */
export function variables(): Array<dashboard.DatasourceVariableBuilder | dashboard.QueryVariableBuilder> {
  return [
    new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
    new dashboard.QueryVariableBuilder('namespace')
      .label('Namespace')
      .description('The namespace the anypod release runs in')
      .datasource(DATASOURCE)
      .query(`label_values(http_requests_total{container=~"${SERVICE_REGEX}"}, namespace)`)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc),
    new dashboard.QueryVariableBuilder('service')
      .label('Service')
      .description('The services (their container name): auth, catalog, cart')
      .datasource(DATASOURCE)
      .query(`label_values(http_requests_total{namespace=~"$namespace", container=~"${SERVICE_REGEX}"}, container)`)
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .current({ text: 'All', value: '$__all', selected: true }),
  ];
}

/** One PromQL query of a panel and how its series are named in the legend. */
export interface Query {
  expr: string;
  legend: string;
}

interface PanelSpec {
  title: string;
  description: string;
  queries: Query[];
  unit?: string;
  /** grid columns out of 24 (default 12: two panels a row) */
  width?: number;
  height?: number;
}

function targets(queries: Query[]): prometheus.DataqueryBuilder[] {
  return queries.map((q, i) =>
    new prometheus.DataqueryBuilder()
      .expr(q.expr)
      .legendFormat(q.legend)
      .range()
      .refId(String.fromCharCode(65 + i))
      .datasource(DATASOURCE),
  );
}

type AnyPanel = timeseries.PanelBuilder | stat.PanelBuilder | statetimeline.PanelBuilder | bargauge.PanelBuilder;

function common_<T extends AnyPanel>(builder: T, spec: PanelSpec): T {
  builder
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .span(spec.width ?? 12)
    .height(spec.height ?? 8);
  for (const target of targets(spec.queries)) builder.withTarget(target);
  if (spec.unit) builder.unit(spec.unit);
  return builder;
}

/** A time series panel, legend as a table with the last and the largest value. */
export function timeSeries(spec: PanelSpec & { stacked?: boolean; min?: number }): timeseries.PanelBuilder {
  const panel = common_(new timeseries.PanelBuilder(), spec)
    .lineWidth(1)
    .fillOpacity(spec.stacked ? 30 : 10)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Bottom).showLegend(true).calcs(['lastNotNull', 'max']))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (spec.stacked) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (spec.min !== undefined) panel.min(spec.min);
  return panel;
}

/** A single number per series over the dashboard's range (the queries use $__range). */
export function statPanel(spec: PanelSpec): stat.PanelBuilder {
  return common_(new stat.PanelBuilder(), spec)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .textMode(common.BigValueTextMode.ValueAndName);
}

/** Horizontal bars, one per series: shares that should be equal, side by side. */
export function barGauge(spec: PanelSpec): bargauge.PanelBuilder {
  return common_(new bargauge.PanelBuilder(), spec)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .min(0);
}

/** One lane per series over time, coloured by value: which pods were up when. */
export function stateTimeline(spec: PanelSpec & { mappings: dashboard.ValueMapping[] }): statetimeline.PanelBuilder {
  return common_(new statetimeline.PanelBuilder(), spec).mappings(spec.mappings).showValue(common.VisibilityMode.Never).mergeValues(true);
}

/** An annotation from a Prometheus query: Grafana marks the times its series are non-zero. */
export function annotation(name: string, expr: string, color: string): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder().name(name).datasource(DATASOURCE).expr(expr).iconColor(color).enable(true);
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  /** rows of panels, in order */
  rows: Array<{ title: string; panels: AnyPanel[] }>;
  annotations?: dashboard.AnnotationQueryBuilder[];
}

/** A dashboard: the shared variables, links to the other anypod dashboards, the rows; panel ids in order. */
export function buildDashboard(spec: DashboardSpec): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags(['anypod'])
    .editable()
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(new dashboard.DashboardLinkBuilder('anypod').type(dashboard.DashboardLinkType.Dashboards).tags(['anypod']).asDropdown(true).includeVars(true).keepTime(true));
  for (const variable of variables()) builder.withVariable(variable);
  for (const a of spec.annotations ?? []) builder.annotation(a);
  let id = 1;
  for (const row of spec.rows) {
    builder.withRow(new dashboard.RowBuilder(row.title).id(id++));
    for (const panel of row.panels) builder.withPanel(panel.id(id++));
  }
  return builder.build();
}
