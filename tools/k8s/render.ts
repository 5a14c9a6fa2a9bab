// Renders the Helm chart (helm/anypod) with `helm template` and parses what comes out, for the
// k8s/ folder and for every test that reads rendered objects (validation, policy, contract).
// helm is the pinned Go tool from tools/go (built into a cache outside the clone).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { goToolPath } from '../go/go-tools.ts';
import { REPO_ROOT } from '../cluster/paths.ts';

export { REPO_ROOT };
export const CHART_DIR = join(REPO_ROOT, 'helm/anypod');
/** The release name and namespace that k8s/ and the quickstart use. */
export const DEFAULT_RELEASE = 'anypod';

/** A rendered Kubernetes object; only the fields every object has are typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RenderOptions {
  /** values files, applied in order after the chart's own values.yaml */
  valuesFiles?: string[];
  /** --set pairs, applied last */
  set?: Record<string, string>;
  release?: string;
  namespace?: string;
  /** render the chart's `helm test` hooks too (default: no) */
  includeTests?: boolean;
  /** render past values.schema.json — only for tests showing that a check on the rendered objects holds on its own */
  skipSchemaValidation?: boolean;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with the given arguments (no kube cluster is ever contacted: KUBECONFIG=/dev/null). */
export function helm(args: string[]): HelmResult {
  const result = spawnSync(goToolPath('helm'), args, {
    encoding: 'utf8',
    cwd: REPO_ROOT,
    env: { ...process.env, KUBECONFIG: '/dev/null', HELM_CACHE_HOME: '/tmp/anypod-helm/cache', HELM_CONFIG_HOME: '/tmp/anypod-helm/config', HELM_DATA_HOME: '/tmp/anypod-helm/data' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

function templateArgs(options: RenderOptions): string[] {
  const args = ['template', options.release ?? DEFAULT_RELEASE, CHART_DIR, '--namespace', options.namespace ?? DEFAULT_RELEASE];
  for (const file of options.valuesFiles ?? []) args.push('--values', file);
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${value}`);
  if (options.includeTests !== true) args.push('--skip-tests');
  if (options.skipSchemaValidation === true) args.push('--skip-schema-validation');
  return args;
}

/** `helm template` as text; throws with helm's own message when rendering fails. */
export function renderText(options: RenderOptions = {}): string {
  const result = helm(templateArgs(options));
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Parses a multi-document YAML stream into objects (empty documents dropped). */
export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null && typeof object === 'object');
}

/** `helm template` parsed into objects. */
export function render(options: RenderOptions = {}): K8sObject[] {
  return parseObjects(renderText(options));
}

/** The objects of one kind, e.g. all Deployments. */
export function ofKind<T extends K8sObject = K8sObject>(objects: K8sObject[], kind: string): T[] {
  return objects.filter((object) => object.kind === kind) as T[];
}
