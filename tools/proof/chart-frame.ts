// The parts every run chart shares: the time axis, a value axis with grid lines, axis titles
// and the kill markers. Charts are drawn here in Node as plain SVG strings, so the page needs no
// script at all and looks the same in a browser, a screenshot or a file:// preview.
import { esc, fmtSeconds } from './html.ts';
import { linearScale, niceTicks, type Scale } from './chart-scale.ts';
import type { KillEvent, RunReport } from './report-types.ts';
import { KILL_LABELS } from '../cluster/types.ts';

export const WIDTH = 960;
export const MARGIN = { left: 64, right: 20, bottom: 42 };
/** Space above the plot: room for two rows of kill labels, or just for the top tick label. */
export const plotTop = (labelledKills: boolean) => (labelledKills ? 44 : 14);
const LABEL_ROWS = [14, 30];
const CHAR_WIDTH = 6.2; // approximate advance of the 11px label font, for label placement
const MAX_LABEL_CHARS = 28;

export interface TimeAxis {
  x: Scale;
  endMs: number;
  ticksMs: number[];
}

export function timeAxis(run: RunReport): TimeAxis {
  const lastBucket = run.timeline.buckets.at(-1);
  const endMs = Math.max(run.durationMs, lastBucket ? lastBucket.atMs + run.timeline.bucketMs : 0, 1);
  const ticksMs = niceTicks(endMs / 1000, 10)
    .map((s) => s * 1000)
    .filter((ms) => ms <= endMs);
  return { x: linearScale([0, endMs], [MARGIN.left, WIDTH - MARGIN.right]), endMs, ticksMs };
}

export interface ValueAxis {
  y: Scale;
  ticks: number[];
}

export function valueAxis(max: number, height: number, labelledKills: boolean): ValueAxis {
  const ticks = niceTicks(max, 5);
  const top = ticks.at(-1) ?? 1;
  return { y: linearScale([0, top], [height - MARGIN.bottom, plotTop(labelledKills)]), ticks };
}

function killText(kill: KillEvent): string {
  const name = kill.replica.length > MAX_LABEL_CHARS ? `${kill.replica.slice(0, MAX_LABEL_CHARS - 1)}…` : kill.replica;
  return `✕ ${name} (${KILL_LABELS[kill.kind].short})`;
}

function killTooltip(kill: KillEvent): string {
  const how = KILL_LABELS[kill.kind].long;
  const after = kill.replacement ? `, replaced by ${kill.replacement}` : ', not replaced';
  return `${fmtSeconds(kill.atMs)}: ${kill.replica} ${how}${after}`;
}

/**
 * Vertical lines at each kill. With labels (the first chart of a run) the labels alternate
 * between two rows when they would overlap; the other charts repeat only the lines.
 */
export function killMarkers(run: RunReport, axis: TimeAxis, height: number, labelled: boolean): string {
  const rowEnds = LABEL_ROWS.map(() => -Infinity);
  const bottom = height - MARGIN.bottom;
  return [...run.killEvents]
    .sort((a, b) => a.atMs - b.atMs)
    .map((kill) => {
      const x = axis.x(kill.atMs).toFixed(1);
      const lineFrom = (y1: number) => `<line x1="${x}" x2="${x}" y1="${y1}" y2="${bottom}" class="kill-line"/>`;
      if (!labelled) return `<g class="kill-guide">${lineFrom(plotTop(false))}</g>`;
      const text = killText(kill);
      const width = text.length * CHAR_WIDTH;
      const xNum = Number(x);
      // Near the right edge the label grows leftwards so it stays inside the chart.
      const anchorEnd = xNum + width + 4 > WIDTH;
      const start = anchorEnd ? xNum - width - 4 : xNum + 4;
      let row = rowEnds.findIndex((end) => end + 8 < start);
      if (row < 0) row = rowEnds.indexOf(Math.min(...rowEnds));
      rowEnds[row] = start + width;
      // The line reaches up to its own label's row, which ties label and line together.
      const line = lineFrom((LABEL_ROWS[row] ?? 0) - 10);
      const label = `<text x="${anchorEnd ? xNum - 4 : xNum + 4}" y="${LABEL_ROWS[row]}" class="kill-label"${anchorEnd ? ' text-anchor="end"' : ''}>${esc(text)}</text>`;
      return `<g class="kill-marker" data-replica="${esc(kill.replica)}" data-kind="${esc(kill.kind)}"><title>${esc(killTooltip(kill))}</title>${line}${label}</g>`;
    })
    .join('');
}

export interface FrameOptions {
  height: number;
  title: string;
  yLabel: string;
  time: TimeAxis;
  value: ValueAxis;
  formatY?: (v: number) => string;
  /** the drawn series, already scaled */
  body: string;
  className: string;
  labelledKills: boolean;
  run: RunReport;
}

/** Axes, grid, axis titles and kill markers around a chart body. */
export function chartFrame(o: FrameOptions): string {
  const { height, time, value } = o;
  const bottom = height - MARGIN.bottom;
  const right = WIDTH - MARGIN.right;
  const fmtY = o.formatY ?? String;
  const top = plotTop(o.labelledKills);
  const grid = value.ticks
    .map((t) => {
      const y = value.y(t).toFixed(1);
      return `<line x1="${MARGIN.left}" x2="${right}" y1="${y}" y2="${y}" class="grid"/><text x="${MARGIN.left - 6}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${esc(fmtY(t))}</text>`;
    })
    .join('');
  const xTicks = time.ticksMs
    .map((ms) => {
      const x = time.x(ms).toFixed(1);
      return `<line x1="${x}" x2="${x}" y1="${bottom}" y2="${bottom + 4}" class="axis"/><text x="${x}" y="${bottom + 16}" class="tick" text-anchor="middle">${ms / 1000}</text>`;
    })
    .join('');
  const yMid = ((top + bottom) / 2).toFixed(0);
  return (
    `<svg class="chart ${o.className}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${esc(o.title)}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${esc(o.title)}</title>` +
    `<g class="grid-lines">${grid}</g>` +
    `<g class="series">${o.body}</g>` +
    `<line x1="${MARGIN.left}" x2="${right}" y1="${bottom}" y2="${bottom}" class="axis"/>` +
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${top}" y2="${bottom}" class="axis"/>` +
    `<g class="x-ticks">${xTicks}</g>` +
    `<text x="${(MARGIN.left + right) / 2}" y="${height - 6}" class="axis-title" text-anchor="middle">time since the run started (s)</text>` +
    `<text transform="translate(16 ${yMid}) rotate(-90)" class="axis-title" text-anchor="middle">${esc(o.yLabel)}</text>` +
    killMarkers(o.run, time, height, o.labelledKills) +
    `</svg>`
  );
}
