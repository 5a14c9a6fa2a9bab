// Writes the proof's two artifacts side by side: report.json for machines and diffing,
// report.html for people.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderReportHtml } from './render-html.ts';
import type { ProofReport } from './report-types.ts';

export async function writeReport(dir: string, report: ProofReport): Promise<{ jsonPath: string; htmlPath: string }> {
  await mkdir(dir, { recursive: true });
  const jsonPath = join(dir, 'report.json');
  const htmlPath = join(dir, 'report.html');
  // Render before writing anything, so a rendering error never leaves a json without its page.
  const html = renderReportHtml(report);
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(htmlPath, html);
  return { jsonPath, htmlPath };
}
