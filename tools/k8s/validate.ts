// Offline schema validation of rendered manifests with kubectl-validate (the pinned Go tool,
// tools/go/kubectl-validate): built-in kinds against the Kubernetes OpenAPI schemas the binary
// carries, Gateway API kinds against their CRDs' schemas (`--local-crds`). No cluster is ever
// contacted: KUBECONFIG=/dev/null, and a version the binary carries means it never looks for
// schemas on GitHub either.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { goToolPath } from '../go/go-tools.ts';
import { REPO_ROOT, type K8sObject } from './render.ts';

/**
 * The newest Kubernetes version whose schemas kubectl-validate v0.0.4 carries in its binary
 * (pkg/openapiclient/builtins holds 1.23 … 1.30; it is also the tool's default). A version it
 * does not carry would make it fetch schemas from GitHub, which this machine cannot reach.
 * Raise it together with the tool's pin in tools/go/kubectl-validate/go.mod.
 */
export const KUBERNETES_SCHEMA_VERSION = '1.30';

/**
 * The Kubernetes versions whose schemas the pinned kubectl-validate carries: the folders of its
 * pkg/openapiclient/builtins, which the binary embeds (go:embed), read from the pinned module's
 * source in the Go module cache (downloaded from the Go module proxy if the cache was cleaned).
 */
export function carriedKubernetesVersions(): string[] {
  const moduleDir = join(REPO_ROOT, 'tools/go/kubectl-validate');
  const result = spawnSync('go', ['mod', 'download', '-json', 'sigs.k8s.io/kubectl-validate'], {
    cwd: moduleDir,
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly' },
  });
  if (result.status !== 0) throw new Error(`go mod download sigs.k8s.io/kubectl-validate failed in ${moduleDir}:\n${result.stderr.trim()}`);
  const { Dir } = JSON.parse(result.stdout) as { Dir: string };
  const versionOrder = (v: string) => v.split('.').map(Number) as [number, number];
  return readdirSync(join(Dir, 'pkg/openapiclient/builtins'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d+\.\d+$/.test(entry.name))
    .map((entry) => entry.name)
    .sort((a, b) => versionOrder(a)[0] - versionOrder(b)[0] || versionOrder(a)[1] - versionOrder(b)[1]);
}

/** The Gateway API standard CRDs, from the pinned module (tools/go/gateway-api). */
export function gatewayApiCrds(): string {
  const result = spawnSync('bash', [join(REPO_ROOT, 'tools/go/go-tools.sh'), 'crds'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`the Gateway API CRDs are not available (bash tools/go/go-tools.sh crds failed):\n${result.stderr.trim()}`);
  return result.stdout.trim();
}

function kubectlValidate(): string {
  try {
    return goToolPath('kubectl-validate');
  } catch (error) {
    throw new Error(`kubectl-validate is not available (bash tools/go/go-tools.sh path kubectl-validate failed): ${(error as Error).message}`, { cause: error });
  }
}

/** One file handed to the validator and the object in it. */
export interface ManifestFile {
  path: string;
  /** "Deployment/anypod-auth", or "document N" when the text has no kind/name */
  object: string;
  /** which render it came from (e.g. "defaults", "ci/gateway-values.yaml") */
  label: string;
}

export interface ValidationFailure extends ManifestFile {
  message: string;
}

export interface ValidationResult {
  files: ManifestFile[];
  failures: ValidationFailure[];
}

/** Splits `helm template` output into its documents, keeping each one's text as helm wrote it. */
export function splitDocuments(text: string): string[] {
  return text
    .split(/^---[ \t]*$/m)
    .filter((doc) => doc.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('#')));
}

const describe = (object: Partial<K8sObject> | null | undefined, index: number): string =>
  object?.kind && object.metadata?.name ? `${object.kind}/${object.metadata.name}` : `document ${index + 1}`;

const safe = (value: string): string => value.replace(/[^A-Za-z0-9._-]+/g, '_');

/**
 * Writes one file per document into `dir`. Rendered text is written as helm wrote it (the API
 * server parses that text, so a YAML 1.1 reading of `on`/`yes` must reach the validator
 * unchanged); objects edited in a test are written as JSON, which has only one reading.
 */
export function writeManifests(dir: string, label: string, input: string | K8sObject[]): ManifestFile[] {
  mkdirSync(dir, { recursive: true });
  const docs: Array<{ text: string; object: Partial<K8sObject> | null; ext: string }> =
    typeof input === 'string'
      ? splitDocuments(input).map((text) => {
          let object: Partial<K8sObject> | null = null;
          try {
            object = parse(text) as Partial<K8sObject> | null;
          } catch {
            // Unparseable text still goes to the validator, which reports it.
          }
          return { text, object, ext: 'yaml' };
        })
      : input.map((object) => ({ text: `${JSON.stringify(object, null, 2)}\n`, object, ext: 'json' }));
  return docs.map(({ text, object, ext }, index) => {
    const path = join(dir, `${String(index).padStart(3, '0')}-${safe(describe(object, index))}.${ext}`);
    writeFileSync(path, text);
    return { path, object: describe(object, index), label };
  });
}

interface Status {
  status?: string;
  message?: string;
  details?: { causes?: Array<{ field?: string; message?: string; reason?: string }> };
}

/** Validates the given files/folders in one kubectl-validate run. */
export function validateFiles(files: ManifestFile[], crdsDir: string = gatewayApiCrds(), version: string = KUBERNETES_SCHEMA_VERSION): ValidationFailure[] {
  if (files.length === 0) throw new Error('nothing to validate: no manifests were written');
  const result = spawnSync(kubectlValidate(), ['--version', version, '--local-crds', crdsDir, '--output', 'json', ...files.map((f) => f.path)], {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: '/dev/null' },
    maxBuffer: 64 * 1024 * 1024,
  });
  let report: Record<string, Status[]>;
  try {
    report = JSON.parse(result.stdout) as Record<string, Status[]>;
  } catch {
    throw new Error(`kubectl-validate did not answer with its JSON report (exit ${result.status}):\n${result.stderr.trim() || result.stdout.trim()}`);
  }
  const failures: ValidationFailure[] = [];
  for (const file of files) {
    const statuses = report[file.path];
    if (!statuses) {
      failures.push({ ...file, message: 'kubectl-validate did not report on this file' });
      continue;
    }
    for (const status of statuses) {
      if (status.status === 'Success') continue;
      const causes = (status.details?.causes ?? []).map((c) => `${c.field ? `${c.field}: ` : ''}${c.message ?? c.reason ?? ''}`);
      failures.push({ ...file, message: causes.length > 0 ? causes.join('; ') : (status.message ?? JSON.stringify(status)) });
    }
  }
  return failures;
}

/** Writes each render into its own folder under a temporary directory and validates them all in one run. */
export function validateRenders(renders: Array<{ label: string; input: string | K8sObject[] }>, crdsDir?: string, version?: string): ValidationResult {
  const root = mkdtempSync(join(tmpdir(), 'anypod-validate-'));
  try {
    const files = renders.flatMap(({ label, input }, index) => writeManifests(join(root, `${index}-${safe(label)}`), label, input));
    return { files, failures: validateFiles(files, crdsDir, version) };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** One line per failure, saying which render and object, for test messages. */
export function formatFailures(failures: ValidationFailure[]): string {
  return failures.map((f) => `  [${f.label}] ${f.object}: ${f.message}`).join('\n');
}
