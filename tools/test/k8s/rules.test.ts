// The alert rules (helm/anypod/rules/anypod.rules.yaml): promtool accepts them, and their promtool
// tests pass — at least one case per alert where it fires and one where it stays silent. Shown
// failing: mutants of the rule file (a broken threshold, a lost probe filter, a longer `for`) make
// promtool's tests fail on the alert they touch, and the coverage and annotation checks name what a
// broken copy lacks. Every alert links a runbook section of the chart README.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHART_DIR } from '../../k8s/render.ts';
import { alerts, allRules, annotationProblems, coverageProblems, parseRules, promtool, readRules, ruleMetrics, RULES_DIR, RULES_FILE, ruleTestFiles } from '../../dashboards/rules.ts';

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A copy of helm/anypod/rules with the rule file changed by `mutate`. */
function mutatedRules(mutate: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'anypod-rules-'));
  scratch.push(dir);
  cpSync(RULES_DIR, dir, { recursive: true });
  const original = readFileSync(RULES_FILE, 'utf8');
  const changed = mutate(original);
  expect(changed, 'the mutant must change the rule file').not.toBe(original);
  writeFileSync(join(dir, 'anypod.rules.yaml'), changed);
  return dir;
}

const testTexts = () => ruleTestFiles().map((file) => readFileSync(join(RULES_DIR, file), 'utf8'));

describe('promtool', () => {
  it('check rules: the file is valid and holds every rule', () => {
    const rules = allRules(readRules());
    const result = promtool(['check', 'rules', 'anypod.rules.yaml']);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
    console.log(`${rules.length} rules, of which ${alerts(readRules()).length} alerts`);
  });

  it('test rules: every test file passes', () => {
    const files = ruleTestFiles();
    const result = promtool(['test', 'rules', ...files]);
    expect(result.status, result.output).toBe(0);
    expect(result.output.match(/SUCCESS/g)).toHaveLength(files.length);
  });

  it('check rules refuses a broken expression', () => {
    const dir = mutatedRules((t) => t.replace('expr: up{namespace!="", container=~"auth|catalog|cart"} == 0', 'expr: up{namespace!="" == 0'));
    const result = promtool(['check', 'rules', 'anypod.rules.yaml'], dir);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/AnypodTargetDown|parse error/);
  });

  // Each mutant breaks one alert the way a careless edit would; promtool's tests must notice.
  const mutants: Array<[string, (t: string) => string, string]> = [
    ['the fast availability burn threshold of the 1h/5m condition 14.4 → 144', (t) => t.replaceAll('(14.4 * 0.001)', '(144 * 0.001)'), 'AnypodAvailabilityBudgetBurnFast'],
    ['the fast availability burn threshold of the 6h/30m condition 6 → 60', (t) => t.replaceAll('(6 * 0.001)', '(60 * 0.001)'), 'AnypodAvailabilityBudgetBurnFast'],
    ['the slow availability burn threshold of the 1d/2h condition 3 → 30', (t) => t.replaceAll('(3 * 0.001)', '(30 * 0.001)'), 'AnypodAvailabilityBudgetBurnSlow'],
    ['the slow availability burn threshold of the 3d/6h condition 1 → 10', (t) => t.replaceAll('(1 * 0.001)', '(10 * 0.001)'), 'AnypodAvailabilityBudgetBurnSlow'],
    ['the fast latency burn threshold 14.4 → 144', (t) => t.replaceAll('(14.4 * 0.01)', '(144 * 0.01)'), 'AnypodLatencyBudgetBurnFast'],
    ['the latency threshold 0.5 s → 2.5 s (the le bucket)', (t) => t.replaceAll('le="0.5"', 'le="2.5"'), 'AnypodLatencyBudgetBurnFast'],
    ['the cart write error threshold 1 % → 10 %', (t) => t.replace(/\n\s+> 0\.01\n/, '\n          > 0.1\n'), 'AnypodCartWritesFailing'],
    ['probes counted as user requests (the route filter dropped)', (t) => t.replaceAll(', route!~"/healthz|/readyz|/metrics"', ''), 'AnypodAvailabilityBudgetBurnFast'],
    ['a pod down only after 10 minutes', (t) => t.replace('== 0\n        for: 2m', '== 0\n        for: 10m'), 'AnypodTargetDown'],
    ['all pods down counted as no pods (the `or ... * 0` dropped)', (t) => t.replace(/\n\s+or count by \(namespace, container\) \(up\{[^}]*\}\) \* 0/, ''), 'AnypodFewerThanTwoPodsUp'],
  ];
  it.each(mutants)('a mutant fails its promtool test: %s', (_label, mutate, alert) => {
    const dir = mutatedRules(mutate);
    // only the files that test this alert: promtool evaluates every rule at every step, seconds per file
    const files = ruleTestFiles(dir).filter((file) => readFileSync(join(dir, file), 'utf8').includes(`alertname: ${alert}\n`));
    expect(files.length, `no promtool test names ${alert}`).toBeGreaterThan(0);
    const result = promtool(['test', 'rules', ...files], dir);
    expect(result.status, `promtool test rules passed on a mutant:\n${result.output}`).not.toBe(0);
    expect(result.output).toContain(`alertname: ${alert}`);
  });
});

describe('every alert is tested both ways and says what to do', () => {
  it('each alert has a promtool case where it fires and one where it stays silent', () => {
    expect(coverageProblems(readRules(), testTexts())).toEqual([]);
  });

  it('the coverage check names an alert whose silent case is gone, and a test of an alert that does not exist', () => {
    const texts = testTexts().map((text) => text.replaceAll('alertname: AnypodCartWritesFailing\n        exp_alerts: []', 'alertname: AnypodCartWritesFailingX\n        exp_alerts: []'));
    expect(coverageProblems(readRules(), texts)).toEqual([
      'AnypodCartWritesFailing: no promtool case where it stays silent',
      'AnypodCartWritesFailingX: tested, but no such alert in the rule file',
    ]);
  });

  it('each alert has a severity, a summary, a description and a runbook section in the chart README', () => {
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    expect(annotationProblems(readRules(), readme)).toEqual([]);
    // shown failing: the README without one alert's section, and an alert without a summary
    const withoutSection = readme.replace('#### AnypodTargetDown\n', '');
    expect(annotationProblems(readRules(), withoutSection)).toEqual([expect.stringMatching(/^AnypodTargetDown: runbook_url .* names no heading/)]);
    const noSummary = parseRules(readFileSync(RULES_FILE, 'utf8').replace(/\n\s+summary: "Prometheus finds no pod[^\n]*/, ''));
    expect(annotationProblems(noSummary, readme)).toEqual(['AnypodServiceNotScraped: no summary annotation']);
  });

  it('the rules read only metrics the services expose, and Prometheus\' own up', () => {
    // (the names are the design's; the dashboards test checks them against the services' registry)
    expect(ruleMetrics(readRules())).toEqual(['anypod_cart_writes_total', 'http_request_duration_seconds_bucket', 'http_request_duration_seconds_count', 'http_requests_total', 'up']);
  });

  it('every selector leaves the namespace to the place the chart scopes (namespace!="" first)', () => {
    for (const rule of allRules(readRules())) {
      for (const selector of rule.expr.matchAll(/\{([^}]*)\}/g)) expect(selector[1], `${rule.alert ?? rule.record}: {${selector[1]}}`).toMatch(/^namespace!="", /);
    }
  });
});
