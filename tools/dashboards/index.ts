// Every dashboard, the file it is generated into (helm/anypod/dashboards/, committed: the chart
// provisions those files and users read them) and the JSON text as written.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { REPO_ROOT } from '../cluster/paths.ts';
import { anyPodDashboard } from './any-pod.ts';
import { cacheIdempotencyDashboard } from './cache-idempotency.ts';
import { deletionsDashboard } from './deletions.ts';
import { redDashboard } from './red.ts';

export const DASHBOARDS_DIR = join(REPO_ROOT, 'helm/anypod/dashboards');

export interface DashboardFile {
  /** file name in DASHBOARDS_DIR, also the key of the chart's ConfigMap */
  file: string;
  build: () => dashboard.Dashboard;
}

export const DASHBOARDS: DashboardFile[] = [
  { file: 'anypod-any-pod.json', build: anyPodDashboard },
  { file: 'anypod-red.json', build: redDashboard },
  { file: 'anypod-deletions.json', build: deletionsDashboard },
  { file: 'anypod-cache-idempotency.json', build: cacheIdempotencyDashboard },
];

/** A dashboard as the committed file holds it: two-space JSON with a final newline. */
export const dashboardText = (model: dashboard.Dashboard): string => `${JSON.stringify(model, null, 2)}\n`;

/** Every dashboard's file name and generated text. */
export function renderDashboards(): Map<string, string> {
  return new Map(DASHBOARDS.map((d) => [d.file, dashboardText(d.build())]));
}

/** The JSON files in a folder: every one of them is generated (the folder holds nothing else). */
const jsonFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')).sort() : []);

/** What differs between the folder and a fresh generation: missing, changed or stale files. */
export function diffDashboards(dir = DASHBOARDS_DIR, rendered = renderDashboards()): string[] {
  const problems: string[] = [];
  for (const [file, text] of rendered) {
    const path = join(dir, file);
    if (!existsSync(path)) problems.push(`${file}: missing`);
    else if (readFileSync(path, 'utf8') !== text) problems.push(`${file}: differs from the code in tools/dashboards`);
  }
  for (const file of jsonFiles(dir)) if (!rendered.has(file)) problems.push(`${file}: no dashboard in tools/dashboards generates it (stale)`);
  return problems;
}

/** Writes every dashboard into the folder and removes JSON files no dashboard generates. */
export function writeDashboards(dir = DASHBOARDS_DIR, rendered = renderDashboards()): { written: string[]; removed: string[] } {
  mkdirSync(dir, { recursive: true });
  const removed = jsonFiles(dir).filter((file) => !rendered.has(file));
  for (const file of removed) rmSync(join(dir, file));
  for (const [file, text] of rendered) writeFileSync(join(dir, file), text);
  return { written: [...rendered.keys()], removed };
}

/** The committed dashboards, parsed: what the chart ships and what the queries are read from. */
export function committedDashboards(dir = DASHBOARDS_DIR): Array<{ file: string; model: dashboard.Dashboard }> {
  const files = jsonFiles(dir);
  if (files.length === 0) throw new Error(`${dir} holds no dashboards: run \`make dashboards\``);
  return files.map((file) => ({ file, model: JSON.parse(readFileSync(join(dir, file), 'utf8')) as dashboard.Dashboard }));
}
