// The renders every k8s test covers: the chart's defaults and each helm/anypod/ci/*-values.yaml
// (helm's own convention for values variants; ci/invalid/ holds values the chart must refuse and
// is not one of them).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderTextCached } from './render-cache.ts';
import { CHART_DIR, parseObjects, REPO_ROOT, type K8sObject, type RenderOptions } from './render.ts';

export interface Variant {
  /** "defaults" or "ci/<file>" */
  label: string;
  valuesFiles: string[];
}

/** The chart's own values: the render every broken variant in the tests starts from. */
export const DEFAULTS: Variant = { label: 'defaults', valuesFiles: [] };

export function chartVariants(): Variant[] {
  const ciDir = join(CHART_DIR, 'ci');
  const files = existsSync(ciDir) ? readdirSync(ciDir).filter((name) => name.endsWith('-values.yaml')).sort() : [];
  // The checks are only as wide as the variants: none would mean testing the defaults alone, quietly.
  if (files.length === 0) throw new Error(`${ciDir} holds no *-values.yaml variants; the chart's tests render each of them`);
  return [DEFAULTS, ...files.map((name) => ({ label: `ci/${name}`, valuesFiles: [join(ciDir, name)] }))];
}

/** Render options for a variant, with the chart's `helm test` hooks included. */
export const renderOptionsOf = (variant: Variant): RenderOptions => ({ valuesFiles: variant.valuesFiles, includeTests: true });

/** A variant's `helm template` text (test hooks included), rendered once per test run. */
export const renderVariantText = (variant: Variant): string => renderTextCached(renderOptionsOf(variant));

/** A variant's rendered objects (test hooks included), rendered once per test run. */
export const renderVariant = (variant: Variant): K8sObject[] => parseObjects(renderVariantText(variant));

const isMap = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete out[key];
    else out[key] = isMap(value) && isMap(out[key]) ? merge(out[key] as Record<string, unknown>, value) : value;
  }
  return out;
}

/**
 * The values a variant renders with (values.yaml, then its files merged over it the way helm
 * does, null deleting a key), for the few facts a render cannot show — such as the
 * max_connections of an external Postgres.
 */
export function valuesOf(variant: Variant): Record<string, unknown> {
  return [join(CHART_DIR, 'values.yaml'), ...variant.valuesFiles].reduce<Record<string, unknown>>(
    (values, file) => merge(values, (parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>),
    {},
  );
}

/** The committed k8s/ folder as one YAML stream (what `kubectl apply -f k8s/` sends); throws when it holds no manifests. */
export function committedK8sText(): string {
  const dir = join(REPO_ROOT, 'k8s');
  const files = existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.yaml')).sort() : [];
  if (files.length === 0) throw new Error('k8s/ holds no manifests: run `make k8s` to render them');
  return files.map((name) => readFileSync(join(dir, name), 'utf8')).join('\n---\n');
}

/** The committed k8s/ folder's objects. */
export const committedK8s = (): K8sObject[] => parseObjects(committedK8sText());
