// The operations run of `make demo-kube` moves the release to the previous chart version under
// load: the release's values must be made valid for that chart's schema (keys a newer chart added
// are refused by an older schema's additionalProperties: false). Checked on the real previous
// chart taken from git history, and on hand-made schemas.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../cluster/paths.ts';
import { helm } from '../k8s/render.ts';
import { valuesForPreviousChart, withoutUnknownKeys } from '../kube/proof/operations.ts';
import { previousChart } from '../kube/proof/previous-chart.ts';

const previous = previousChart();
afterAll(() => rmSync(previous.root, { recursive: true, force: true }));

describe('values for the previous chart', () => {
  it('drops what the older schema refuses, keeps the rest, and says what it dropped', () => {
    const schema = {
      properties: { a: { properties: { b: {} }, additionalProperties: false }, open: { properties: { x: {} } } },
      additionalProperties: false,
    };
    const { values, dropped } = withoutUnknownKeys({ a: { b: 1, c: 2 }, open: { x: 1, y: 2 }, z: 3 }, schema);
    expect(values).toEqual({ a: { b: 1 }, open: { x: 1, y: 2 } });
    expect(dropped).toEqual(['a.c', 'z']);
  });

  it("turns the older chart's NetworkPolicies off only when the node's DNS cannot be allowed", () => {
    const schema = { properties: { image: {}, networkPolicy: { properties: { enabled: {} }, additionalProperties: false } }, additionalProperties: false };
    const lines: string[] = [];
    const values = valuesForPreviousChart({ networkPolicy: { dnsCIDRs: ['10.244.0.1/32'] } }, '9.9.9', schema, (l) => lines.push(l));
    expect(values).toEqual({ image: { tag: '9.9.9' }, networkPolicy: { enabled: false } });
    expect(lines.join('\n')).toContain('networkPolicy.dnsCIDRs');
    const withDns = { ...schema, properties: { ...schema.properties, networkPolicy: { properties: { enabled: {}, dnsCIDRs: {} }, additionalProperties: false } } };
    expect(valuesForPreviousChart({ networkPolicy: { dnsCIDRs: ['x'] } }, '9.9.9', withDns).networkPolicy).toEqual({ dnsCIDRs: ['x'] });
  });

  it(`makes the one-node cluster's values render with the previous chart (${previous.version}), which refuses them as they are`, () => {
    const values = parseYaml(readFileSync(join(REPO_ROOT, 'tools/kube/chart-values.yaml'), 'utf8')) as Record<string, unknown>;
    const schema = JSON.parse(readFileSync(join(previous.dir, 'values.schema.json'), 'utf8')) as Parameters<typeof valuesForPreviousChart>[2];
    const render = (v: Record<string, unknown>) => {
      const file = join(previous.root, `values-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify(v));
      return helm(['template', 'anypod', previous.dir, '--namespace', 'anypod', '--values', file]);
    };
    // As they are: the previous schema refuses this version's new keys (otherwise this test proves nothing).
    expect(render(values).status).not.toBe(0);
    const fixed = render(valuesForPreviousChart(values, '0.0.0', schema));
    expect(fixed.stderr).toBe('');
    expect(fixed.status).toBe(0);
  });
});
