// The alert rules (helm/anypod/rules/anypod.rules.yaml) as data, promtool to check and test them,
// and the checks a rule file must pass beyond promtool's: every alert has a promtool test where it
// fires and one where it does not, and says what it is and where its runbook is.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../cluster/paths.ts';

export const RULES_DIR = join(REPO_ROOT, 'helm/anypod/rules');
export const RULES_FILE = join(RULES_DIR, 'anypod.rules.yaml');
export const RULE_TESTS_DIR = join(RULES_DIR, 'tests');
export const PROMTOOL_BIN = process.env.PROMTOOL_BIN || '/usr/bin/promtool';

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleFile {
  groups: Array<{ name: string; interval?: string; rules: Rule[] }>;
}

export const parseRules = (text: string): RuleFile => parse(text) as RuleFile;
export const allRules = (file: RuleFile): Rule[] => file.groups.flatMap((g) => g.rules);
export const alerts = (file: RuleFile): Array<Rule & { alert: string }> => allRules(file).filter((r): r is Rule & { alert: string } => r.alert !== undefined);

/** Debian's promtool (package prometheus); missing means fail with the way to install it, never skip. */
export function promtool(args: string[], cwd = RULES_DIR): { status: number; output: string } {
  if (!existsSync(PROMTOOL_BIN)) {
    throw new Error(`promtool is not installed at ${PROMTOOL_BIN}: \`apt-get install -y --no-install-recommends prometheus\` (tools/infra/ensure-packages.sh does it), or set PROMTOOL_BIN`);
  }
  const result = spawnSync(PROMTOOL_BIN, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.error) throw new Error(`promtool could not run: ${result.error.message}`);
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}

/** The promtool test files of a rules folder (tests/*.test.yaml), relative to the folder. */
export function ruleTestFiles(dir = RULES_DIR): string[] {
  const tests = join(dir, 'tests');
  const files = existsSync(tests) ? readdirSync(tests).filter((f) => f.endsWith('.test.yaml')).sort() : [];
  if (files.length === 0) throw new Error(`${tests} holds no *.test.yaml promtool tests`);
  return files.map((f) => join('tests', f));
}

interface TestFile {
  tests: Array<{ name?: string; alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
}

/** Per alert: how many promtool cases expect it to fire, and how many expect it silent. */
export function alertCases(testTexts: string[]): Map<string, { fires: number; silent: number }> {
  const cases = new Map<string, { fires: number; silent: number }>();
  for (const text of testTexts) {
    for (const test of (parse(text) as TestFile).tests ?? []) {
      for (const t of test.alert_rule_test ?? []) {
        const entry = cases.get(t.alertname) ?? { fires: 0, silent: 0 };
        if ((t.exp_alerts ?? []).length > 0) entry.fires++;
        else entry.silent++;
        cases.set(t.alertname, entry);
      }
    }
  }
  return cases;
}

/** Alerts without a case where they fire or without one where they stay silent, and cases of no alert. */
export function coverageProblems(file: RuleFile, testTexts: string[]): string[] {
  const cases = alertCases(testTexts);
  const names = new Set(alerts(file).map((a) => a.alert));
  const problems: string[] = [];
  for (const name of names) {
    const c = cases.get(name);
    if (!c || c.fires === 0) problems.push(`${name}: no promtool case where it fires`);
    if (!c || c.silent === 0) problems.push(`${name}: no promtool case where it stays silent`);
  }
  for (const name of cases.keys()) if (!names.has(name)) problems.push(`${name}: tested, but no such alert in the rule file`);
  return problems;
}

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
export const headingAnchor = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** Every alert says what is wrong (summary, description), how bad (severity) and links its runbook section in the chart README. */
export function annotationProblems(file: RuleFile, readme: string): string[] {
  const anchors = new Set(readme.split('\n').filter((l) => /^#{1,6} /.test(l)).map((l) => headingAnchor(l.replace(/^#+ /, ''))));
  const problems: string[] = [];
  for (const a of alerts(file)) {
    for (const key of ['summary', 'description', 'runbook_url'] as const) if (!a.annotations?.[key]) problems.push(`${a.alert}: no ${key} annotation`);
    if (!['critical', 'warning'].includes(a.labels?.severity ?? '')) problems.push(`${a.alert}: severity must be critical or warning, not ${a.labels?.severity ?? 'unset'}`);
    const anchor = /helm\/anypod\/README\.md#([\w-]+)$/.exec(a.annotations?.runbook_url ?? '')?.[1];
    if (a.annotations?.runbook_url && (!anchor || !anchors.has(anchor))) problems.push(`${a.alert}: runbook_url ${a.annotations.runbook_url} names no heading of helm/anypod/README.md`);
  }
  return problems;
}

/** The metric names a rule's expression reads (identifiers before a selector), recorded series excluded. */
export function ruleMetrics(file: RuleFile): string[] {
  const recorded = new Set(allRules(file).flatMap((r) => (r.record ? [r.record] : [])));
  const names = allRules(file).flatMap((r) => [...r.expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)].map((m) => m[1]!));
  return [...new Set(names)].filter((n) => !recorded.has(n)).sort();
}

export const readRules = (): RuleFile => parseRules(readFileSync(RULES_FILE, 'utf8'));
