// k8s/ is the chart rendered for kubectl apply -f k8s/ (make k8s): it must match a fresh render
// (shown failing on an edited, a missing and a stale copy), the renderer must never touch a
// hand-written file, and no secret material may ever be in it (shown failing on a render with
// secrets.create true).
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseObjects, renderText } from '../../k8s/render.ts';
import { diffManifests, GENERATED_HEADER, K8S_DIR, K8S_VALUES, renderManifests, splitDocuments, writeManifests } from '../../k8s/write-manifests.ts';

/** Every reason a set of manifest files holds secret material: a PEM private key, or a Secret object with data. */
export function secretMaterial(files: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, text] of files) {
    if (/BEGIN [A-Z ]*PRIVATE KEY/.test(text)) problems.push(`${file}: a PEM private key`);
    // "-----BEGIN" base64-encoded from the start of a value, as in a Secret's data
    if (/LS0tLS1CRUdJTi/.test(text)) problems.push(`${file}: a base64-encoded PEM block`);
    for (const object of parseObjects(text)) {
      if (object.kind !== 'Secret') continue;
      const data = { ...(object.data as object | undefined), ...(object.stringData as object | undefined) };
      if (Object.keys(data).length > 0) problems.push(`${file}: Secret/${object.metadata.name} carries data (${Object.keys(data).join(', ')})`);
    }
  }
  return problems;
}

const readFolder = (dir: string) =>
  new Map(readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const));

describe('k8s/', () => {
  let rendered: Map<string, string>;
  const temps: string[] = [];
  const copy = () => {
    const dir = mkdtempSync(join(tmpdir(), 'anypod-k8s-'));
    temps.push(dir);
    cpSync(K8S_DIR, dir, { recursive: true });
    return dir;
  };

  beforeAll(() => {
    const started = performance.now();
    rendered = renderManifests();
    console.log(`fresh render of k8s/: ${rendered.size} files in ${Math.round(performance.now() - started)} ms`);
  });
  afterEach(() => {
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('matches a fresh render of helm/anypod (run `make k8s` after changing the chart)', () => {
    expect(diffManifests(K8S_DIR, rendered), 'k8s/ drifted from helm/anypod: run make k8s').toEqual([]);
    expect(existsSync(join(K8S_DIR, 'README.md')), 'k8s/README.md (hand-written) is missing').toBe(true);
  });

  it('drift is caught: an edited, a missing and a stale generated file', () => {
    const dir = copy();
    const auth = join(dir, 'auth.yaml');
    writeFileSync(auth, readFileSync(auth, 'utf8').replace('replicas: 3', 'replicas: 4'));
    rmSync(join(dir, 'cart.yaml'));
    writeFileSync(join(dir, 'old-thing.yaml'), `${GENERATED_HEADER}\n---\nkind: ConfigMap\n`);
    expect(diffManifests(dir, rendered).sort()).toEqual(['auth.yaml: differs from a fresh render', 'cart.yaml: missing', 'old-thing.yaml: no longer rendered (stale)']);
  });

  it('the renderer replaces its own files only: hand-written files stay, a name clash is refused', () => {
    const dir = copy();
    writeFileSync(join(dir, 'my-extra.yaml'), 'kind: ConfigMap # mine\n');
    writeFileSync(join(dir, 'old-thing.yaml'), `${GENERATED_HEADER}\n`);
    const { removed } = writeManifests(dir, rendered);
    expect(removed).toEqual(['old-thing.yaml']);
    expect(readFileSync(join(dir, 'my-extra.yaml'), 'utf8')).toBe('kind: ConfigMap # mine\n');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe(readFileSync(join(K8S_DIR, 'README.md'), 'utf8'));
    expect(diffManifests(dir, rendered)).toEqual([]);
    writeFileSync(join(dir, 'auth.yaml'), 'kind: ConfigMap # written by hand\n');
    expect(() => writeManifests(dir, rendered)).toThrow(/auth.yaml was written by hand/);
  });

  it('every file starts with the generated header and holds whole objects of one component', () => {
    for (const [file, text] of readFolder(K8S_DIR)) {
      expect(text.startsWith(GENERATED_HEADER), `${file} has no generated header`).toBe(true);
      expect(splitDocuments(text).length, `${file} holds no object`).toBeGreaterThan(0);
    }
    expect([...rendered.keys()][0]).toBe('00-namespace.yaml');
  });

  it('holds no secret material: no PEM private key, no Secret with data', () => {
    expect(secretMaterial(readFolder(K8S_DIR))).toEqual([]);
  });

  it('the secret check fails on a render that has secrets (secrets.create true)', () => {
    const withSecrets = renderText({ valuesFiles: [K8S_VALUES], set: { 'secrets.create': 'true' } });
    const problems = secretMaterial(new Map([['with-secrets.yaml', withSecrets]]));
    expect(problems).toContain('with-secrets.yaml: a base64-encoded PEM block');
    expect(problems.filter((p) => p.includes('carries data'))).toHaveLength(2);
    expect(secretMaterial(new Map([['key.yaml', 'x: "-----BEGIN PRIVATE KEY-----"\n']]))).toEqual(['key.yaml: a PEM private key']);
  });
});
