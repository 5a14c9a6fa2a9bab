// The kind/minikube quickstart (quickstart/*.sh) and where its k6 commands and the k6-operator
// TestRun point (load-tests/).
// No kind, minikube or k6 can run here, so:
// - deploy.sh, kind.sh and minikube.sh run with --dry-run and the test reads the commands they
//   plan ("+ " lines): images built and loaded for all four images at the chart's version, the
//   namespace labelled "restricted", helm upgrade --install of the right chart/namespace/values,
//   the rollout waits, helm test, the controller installs at their pins. Every tool they could
//   call is a stub that records its call and fails, so a dry run that executed anything fails.
// - the quickstart's values files render with the real chart (helm template), and the Traefik
//   values, kind port mapping and chart agree on ports, GatewayClass and controller namespace.
// - deploy.sh also runs for real with podman (a store of the test's own) and recording
//   stand-ins for kubectl, helm and curl: the archives, the loader, the clean-up, the stdin.
// - delete-pods.sh runs against a fake kubectl (below).
// Each check is shown failing on a broken copy of the script (the "mutants" blocks).
// The same deploy.sh runs for real on the Kubernetes built from source here (the real-cluster
// issue); that run, not this test, is what proves the commands work on a cluster.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHART_DIR, REPO_ROOT, ofKind, render, type K8sObject } from '../../k8s/render.ts';
import { SERVICE_NAMES } from '../../cluster/paths.ts';

const QS = join(REPO_ROOT, 'quickstart');
const IMAGES = ['auth', 'catalog', 'cart', 'migrate'];
const SERVICES = SERVICE_NAMES;
const VERSION: string = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')).version;
const TRAEFIK_CHART_VERSION = '41.5.0';
const GATEWAY_API_VERSION = /sigs\.k8s\.io\/gateway-api\s+(v[0-9.]+)/.exec(readFileSync(join(REPO_ROOT, 'tools/go/gateway-api/go.mod'), 'utf8'))![1]!;

const tmp = mkdtempSync(join(tmpdir(), 'anypod-quickstart-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// -- The sandbox the scripts run in --------------------------------------------------------------
// PATH holds only (1) links to the ordinary utilities the scripts use and (2) stubs for every
// tool that would touch a cluster or an image store. A stub records its call and fails: in a dry
// run nothing may be executed, so any recorded call (bar the read-only `docker info` probe) is a
// failure. Leaving a tool out of (2) is how "a missing tool" is tested.
const UTILITIES = ['bash', 'env', 'dirname', 'sed', 'head', 'awk', 'date', 'mktemp', 'rm', 'sleep', 'cat', 'grep', 'tr', 'tail'];
const CLUSTER_TOOLS = ['kubectl', 'helm', 'kind', 'minikube', 'make', 'podman', 'docker', 'curl'];

const utilitiesDir = join(tmp, 'utilities');
mkdirSync(utilitiesDir);
for (const name of UTILITIES) {
  const found = spawnSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`the test needs '${name}' on this machine`);
  symlinkSync(found, join(utilitiesDir, name));
}

let sandboxes = 0;
/** A stub folder with every cluster tool except those left out; returns the folder and its call log. */
function stubs(leaveOut: string[] = []): { dir: string; log: string } {
  const dir = join(tmp, `stubs-${++sandboxes}`);
  mkdirSync(dir);
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  for (const name of CLUSTER_TOOLS.filter((tool) => !leaveOut.includes(tool))) {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\nprintf '%s\\n' "${name} $*" >> '${log}'\nexit 97\n`);
    chmodSync(file, 0o755);
  }
  return { dir, log };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** the commands planned or executed: the "+ " lines, without the prefix */
  commands: string[];
  /** calls that reached a stub */
  stubCalls: string[];
  timedOut: boolean;
}

function runScript(root: string, script: string, args: string[], options: { leaveOut?: string[]; pathDirs?: string[]; env?: Record<string, string>; timeoutMs?: number } = {}): Run {
  const stub = stubs(options.leaveOut);
  const result = spawnSync(join(utilitiesDir, 'bash'), [join(root, 'quickstart', script), ...args], {
    encoding: 'utf8',
    cwd: root,
    timeout: options.timeoutMs ?? 30_000,
    // Nothing from the outer environment (IMAGE_LOADER, BASE_URL, KUBECONFIG ...) leaks in.
    env: { PATH: [...(options.pathDirs ?? []), stub.dir, utilitiesDir].join(':'), HOME: tmp, TMPDIR: tmp, LANG: 'C.UTF-8', ...options.env },
  });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    commands: result.stdout.split('\n').filter((line) => line.startsWith('+ ')).map((line) => line.slice(2)),
    stubCalls: readFileSync(stub.log, 'utf8').split('\n').filter((line) => line !== ''),
    timedOut: (result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT',
  };
}

/** A copy of quickstart/ with one file changed, next to links to the real chart and tools. */
function mutant(file: string, from: string | RegExp, to: string): string {
  const root = mkdtempSync(join(tmp, 'mutant-'));
  cpSync(QS, join(root, 'quickstart'), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'helm'), join(root, 'helm'));
  symlinkSync(join(REPO_ROOT, 'tools'), join(root, 'tools'));
  const path = join(root, 'quickstart', file);
  const text = readFileSync(path, 'utf8');
  // A string pattern is replaced literally (no $-patterns); a RegExp may use $1.. in `to`.
  const changed = typeof from === 'string' ? text.replace(from, () => to) : text.replace(from, to);
  if (changed === text) throw new Error(`mutant of ${file}: '${String(from)}' not found`);
  writeFileSync(path, changed);
  return root;
}

/** Index of the first planned command matching a pattern (-1 if none). */
function find(commands: string[], pattern: RegExp): number {
  return commands.findIndex((command) => pattern.test(command));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// -- deploy.sh -----------------------------------------------------------------------------------
const KIND_LOADER = 'kind load image-archive --name anypod';

/** What deploy.sh --dry-run must plan; returns the problems found (empty = as it should be). */
function deployProblems(run: Run, root: string, opts: { loader: string; values: string[]; engine: 'podman' | 'docker'; release?: string; namespace?: string }): string[] {
  const problems: string[] = [];
  const release = opts.release ?? 'anypod';
  const namespace = opts.namespace ?? 'anypod';
  const c = run.commands;
  if (run.status !== 0) problems.push(`exit status ${run.status}: ${run.stderr.trim()}`);
  const unexpected = run.stubCalls.filter((call) => call !== 'docker info');
  if (unexpected.length > 0) problems.push(`a dry run executed: ${unexpected.join('; ')}`);

  const build = find(c, /^env ANYPOD_ENGINE=(podman|docker) make -C \S+ images$/);
  if (build < 0) problems.push('no `make images` (with ANYPOD_ENGINE) planned');
  else if (!c[build]!.includes(`ANYPOD_ENGINE=${opts.engine}`)) problems.push(`make images not told the engine ${opts.engine}: ${c[build]}`);

  const loads: number[] = [];
  for (const image of IMAGES) {
    const save = opts.engine === 'podman'
      ? find(c, new RegExp(`podman\\.sh save --format docker-archive --output (\\S+/${image}\\.tar) docker\\.io/anypod/${image}:${escape(VERSION)}$`))
      : find(c, new RegExp(`^docker save --output (\\S+/${image}\\.tar) anypod/${image}:${escape(VERSION)}$`));
    if (save < 0) {
      problems.push(`no save of anypod/${image}:${VERSION} planned`);
      continue;
    }
    if (opts.engine === 'podman' && find(c, new RegExp(`podman\\.sh tag localhost/anypod/${image}:${escape(VERSION)} docker\\.io/anypod/${image}:${escape(VERSION)}$`)) < 0) {
      problems.push(`podman's localhost/anypod/${image} is not tagged as docker.io/anypod/${image} (the name the chart asks for)`);
    }
    const archive = c[save]!.split(' --output ')[1]!.split(' ')[0]!;
    const load = c.indexOf(`${opts.loader} ${archive}`);
    if (load < 0) problems.push(`anypod/${image}: the loader '${opts.loader}' is not run on ${archive}`);
    else if (load < save) problems.push(`anypod/${image}: loaded before it is saved`);
    else loads.push(load);
    if (build >= 0 && save < build) problems.push(`anypod/${image}: saved before make images`);
  }

  const namespaceApply = find(c, /apply -f - <<EOF$/);
  const manifest = /^\+ .* apply -f - <<EOF\n([\s\S]*?)\nEOF$/m.exec(run.stdout)?.[1] ?? '';
  const ns = manifest ? parse(manifest) : undefined;
  if (ns?.kind !== 'Namespace' || ns?.metadata?.name !== namespace || ns?.metadata?.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted') {
    problems.push(`namespace ${namespace} is not applied with pod-security.kubernetes.io/enforce=restricted`);
  }

  const valuesArgs = opts.values.map((file) => ` --values ${file}`).join('');
  const upgrade = find(c, new RegExp(`^helm( --kube-context \\S+)? upgrade --install ${release} ${escape(join(root, 'helm/anypod'))} --namespace ${namespace} --create-namespace${escape(valuesArgs)} --wait --timeout \\S+$`));
  if (upgrade < 0) problems.push(`no 'helm upgrade --install ${release} <chart> --namespace ${namespace} --create-namespace${valuesArgs} --wait' planned`);
  const rollout = find(c, new RegExp(`^kubectl( --context \\S+)? rollout status deployment --namespace ${namespace} --selector app\\.kubernetes\\.io/instance=${release} --timeout \\S+$`));
  if (rollout < 0) problems.push('no rollout wait for the Deployments of the release');
  const test = find(c, new RegExp(`^helm( --kube-context \\S+)? test ${release} --namespace ${namespace}\\b`));
  if (test < 0) problems.push('no helm test');

  const order: [string, number][] = [['the last image load', Math.max(-1, ...loads)], ['the namespace', namespaceApply], ['helm upgrade', upgrade], ['the rollout wait', rollout], ['helm test', test]];
  for (let i = 1; i < order.length; i++) {
    const [before, b] = order[i - 1]!;
    const [after, a] = order[i]!;
    if (a >= 0 && b >= 0 && a < b) problems.push(`${after} is planned before ${before}`);
  }
  const k6 = k6Commands(run.stdout);
  if (k6.length === 0) problems.push('the k6 command is not printed');
  for (const command of k6) problems.push(...staleK6Script(command));
  return problems;
}

function deployDryRun(root: string, extra: string[] = [], env: Record<string, string> = { ANYPOD_ENGINE: 'podman' }, leaveOut: string[] = []) {
  return runScript(root, 'deploy.sh', ['--dry-run', '--loader', KIND_LOADER, '--values', join(QS, 'values-kind.yaml'), ...extra], { env, leaveOut });
}

describe('deploy.sh --dry-run', () => {
  it('plans: make images, save and load all four images at the chart version, restricted namespace, helm upgrade --install, rollout waits, helm test', () => {
    const run = deployDryRun(REPO_ROOT);
    expect(deployProblems(run, REPO_ROOT, { loader: KIND_LOADER, values: [join(QS, 'values-kind.yaml')], engine: 'podman' }), run.stdout + run.stderr).toEqual([]);
    // progress: numbered steps and a timing for each
    expect(run.stdout).toMatch(/==> \[1\/7\] building the images/);
    expect(run.stdout.match(/done in \d+ s/g)?.length).toBe(7);
    // .github/workflows/kind.yml reads the URL from this line to point k6 at the gateway.
    expect(run.stdout).toMatch(/^ *Through the gateway \(http:\/\/localhost:8080\):$/m);
  });

  it('with docker as the engine: docker save of anypod/<name>:<version>; --release/--namespace/--kubeconfig/--context are used in every call', () => {
    const run = deployDryRun(REPO_ROOT, ['--release', 'demo', '--namespace', 'shop', '--kubeconfig', '/tmp/kc', '--context', 'kind-anypod'], { ANYPOD_ENGINE: 'docker' });
    const withoutConfig = { ...run, commands: run.commands.map((c) => c.replace(' --kubeconfig /tmp/kc', '')) };
    expect(deployProblems(withoutConfig, REPO_ROOT, { loader: KIND_LOADER, values: [join(QS, 'values-kind.yaml')], engine: 'docker', release: 'demo', namespace: 'shop' }), run.stdout + run.stderr).toEqual([]);
    const clusterCalls = run.commands.filter((c) => /^(kubectl|helm) /.test(c));
    expect(clusterCalls.length).toBe(4);
    for (const command of clusterCalls) expect(command).toMatch(/^(kubectl --kubeconfig \/tmp\/kc --context|helm --kubeconfig \/tmp\/kc --kube-context) kind-anypod /);
  });

  it('without ANYPOD_ENGINE: podman when no Docker engine answers (docker info fails), the same rule as make images', () => {
    const run = deployDryRun(REPO_ROOT, [], {});
    expect(run.stubCalls).toEqual(['docker info']);
    expect(deployProblems(run, REPO_ROOT, { loader: KIND_LOADER, values: [join(QS, 'values-kind.yaml')], engine: 'podman' })).toEqual([]);
  });

  it('--skip-build plans no make; --extra-image loads another image by its full name; without a loader it refuses with a clear message', () => {
    const skipped = deployDryRun(REPO_ROOT, ['--skip-build', '--extra-image', 'docker.io/library/postgres:17-bookworm']);
    expect(skipped.status).toBe(0);
    expect(find(skipped.commands, /make .*images/)).toBe(-1);
    const save = find(skipped.commands, /podman\.sh save --format docker-archive --output (\S+) docker\.io\/library\/postgres:17-bookworm$/);
    expect(save).toBeGreaterThan(-1);
    const archive = skipped.commands[save]!.split(' --output ')[1]!.split(' ')[0]!;
    expect(skipped.commands.indexOf(`${KIND_LOADER} ${archive}`)).toBeGreaterThan(save);
    const noLoader = runScript(REPO_ROOT, 'deploy.sh', ['--dry-run', '--values', join(QS, 'values-kind.yaml')], { env: { ANYPOD_ENGINE: 'podman' } });
    expect(noLoader.status).not.toBe(0);
    expect(noLoader.stderr).toMatch(/no image loader.*--loader/);
  });

  it.each([['kubectl'], ['helm'], ['kind'], ['podman']])('without %s on PATH it exits non-zero naming it, before planning anything', (tool) => {
    const run = deployDryRun(REPO_ROOT, [], { ANYPOD_ENGINE: 'podman' }, [tool]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(new RegExp(`'${tool}' is not on PATH`));
    expect(run.commands).toEqual([]);
  });

  it('refuses a values file that does not exist and a base URL with a path', () => {
    const missing = runScript(REPO_ROOT, 'deploy.sh', ['--dry-run', '--loader', KIND_LOADER, '--values', join(tmp, 'nope.yaml')], { env: { ANYPOD_ENGINE: 'podman' } });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/nope\.yaml does not exist/);
    const badUrl = deployDryRun(REPO_ROOT, ['--base-url', 'http://localhost:8080/catalog']);
    expect(badUrl.status).not.toBe(0);
    expect(badUrl.stderr).toMatch(/--base-url/);
  });

  describe('mutants: each broken deploy.sh is caught', () => {
    const values = [join(QS, 'values-kind.yaml')];
    it.each([
      ['migrate image left out', 'IMAGES=(auth catalog cart migrate)', 'IMAGES=(auth catalog cart)', /no save of anypod\/migrate/],
      ['no helm test', 'run "${HELM[@]}" test "$RELEASE"', 'true "${HELM[@]}" test "$RELEASE"', /no helm test/],
      ['no rollout wait', 'run "${KUBECTL[@]}" rollout status', 'true "${KUBECTL[@]}" rollout status', /no rollout wait/],
      ['values file dropped', '"${HELM_VALUES[@]}" --wait', '--wait', /no 'helm upgrade --install/],
      ['namespace not restricted', 'pod-security.kubernetes.io/enforce: restricted', 'pod-security.kubernetes.io/enforce: baseline', /enforce=restricted/],
      ['loader run before the save', /(\s+)(run bash "\$REPO_ROOT\/tools\/images\/podman\.sh" tag)/, '$1run "${LOADER_WORDS[@]}" "$archive"$1$2', /loaded before it is saved/],
      ['dry run executes the build', 'run env ANYPOD_ENGINE="$ENGINE" make', 'env ANYPOD_ENGINE="$ENGINE" make', /a dry run executed: make/],
    ] as const)('%s', (_label, from, to, expected) => {
      const root = mutant('deploy.sh', from, to);
      const run = deployDryRun(root);
      const problems = deployProblems(run, root, { loader: KIND_LOADER, values, engine: 'podman' });
      expect(problems.join('\n')).toMatch(expected);
    });

    it('no kubectl check: the missing-tool test fails', () => {
      const root = mutant('deploy.sh', 'require_tool "$KUBECTL_BIN"', 'true "$KUBECTL_BIN"');
      const run = deployDryRun(root, [], { ANYPOD_ENGINE: 'podman' }, ['kubectl']);
      expect(run.status).toBe(0);
    });
  });
});

// -- deploy.sh for real (not a dry run) -------------------------------------------------------------
// The commands the dry run only prints, executed: real podman (through tools/images/podman.sh, as
// make images uses it, but with a store of this test's own via ANYPOD_CACHE) holding four tiny
// images named as `make images` names them; the archives really written, handed to a loader that
// reads them, and removed. kubectl, helm and curl are stand-ins that record their calls: they take
// the place of the cluster's API and gateway only because no cluster exists in this test (the
// real-cluster issue runs this same script against a real API server). The curl stand-in refuses
// its first request, so the bounded wait for the gateway is exercised too.
const STANDINS: Record<string, string> = {
  kubectl: `#!/bin/bash
printf '%s\n' "kubectl $*" >> "$CALLS"
case " $* " in
  *" apply -f - "*) cat > "$NAMESPACE_MANIFEST" ;;
  *" get service anypod-grafana "*) printf '3000' ;;
esac
exit 0
`,
  helm: `#!/bin/bash
printf '%s\n' "helm $*" >> "$CALLS"
exit 0
`,
  curl: `#!/bin/bash
printf '%s\n' "curl $*" >> "$CALLS"
if [[ ! -f "$CALLS.curl-once" ]]; then touch "$CALLS.curl-once"; exit 7; fi
exit 0
`,
  loader: `#!/bin/bash
# records the archive's path and the names it carries (docker-archive manifest.json)
printf '%s %s\n' "$1" "$(tar -xOf "$1" manifest.json)" >> "$LOADED"
`,
};

/** Runs deploy.sh of `root` for real with podman and the stand-ins; returns the problems found. */
function realDeployProblems(root: string): string[] {
  const problems: string[] = [];
  const podman = spawnSync('bash', ['-c', 'command -v podman'], { encoding: 'utf8' }).stdout.trim();
  if (!podman) throw new Error('podman is not installed: `make images` installs it (apt-get install -y podman runc)');
  const dir = mkdtempSync(join(tmp, 'real-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const [name, text] of Object.entries(STANDINS)) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  const files = { CALLS: join(dir, 'calls.log'), LOADED: join(dir, 'loaded.log'), NAMESPACE_MANIFEST: join(dir, 'namespace.yaml') };
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, ANYPOD_CACHE: join(dir, 'cache'), ANYPOD_ENGINE: 'podman', TMPDIR: dir, ...files };
  // nothing of the outer shell's deployment settings leaks in
  delete env.IMAGE_LOADER;
  delete env.BASE_URL;
  delete env.KUBECONFIG;
  // four tiny images, named as podman names what `make images` builds (localhost/anypod/...)
  const rootfs = join(dir, 'rootfs.tar');
  writeFileSync(join(dir, 'hello'), 'hello\n');
  expect(spawnSync('tar', ['-C', dir, '-cf', rootfs, 'hello']).status).toBe(0);
  const podmanSh = join(REPO_ROOT, 'tools/images/podman.sh');
  const imported = spawnSync('bash', [podmanSh, 'import', '--quiet', rootfs, `localhost/anypod/${IMAGES[0]}:${VERSION}`], { env, encoding: 'utf8' });
  if (imported.status !== 0) throw new Error(`podman import failed: ${imported.stderr}`);
  const tagged = spawnSync('bash', [podmanSh, 'tag', `localhost/anypod/${IMAGES[0]}:${VERSION}`, ...IMAGES.slice(1).map((image) => `localhost/anypod/${image}:${VERSION}`)], { env, encoding: 'utf8' });
  if (tagged.status !== 0) throw new Error(`podman tag failed: ${tagged.stderr}`);

  const result = spawnSync('bash', [join(root, 'quickstart/deploy.sh'), '--skip-build', '--loader', join(bin, 'loader'), '--values', join(QS, 'values-kind.yaml')], { env, encoding: 'utf8', timeout: 120_000, cwd: root });
  if (result.status !== 0) return [`exit status ${result.status}: ${result.stdout}${result.stderr}`];

  const loaded = readFileSync(files.LOADED, 'utf8').trim().split('\n');
  if (loaded.length !== IMAGES.length) problems.push(`${loaded.length} images loaded, expected ${IMAGES.length}`);
  IMAGES.forEach((image, i) => {
    const [archive, ...manifest] = (loaded[i] ?? '').split(' ');
    const tags = JSON.stringify(manifest.length > 0 ? JSON.parse(manifest.join(' '))[0].RepoTags : null);
    if (tags !== JSON.stringify([`docker.io/anypod/${image}:${VERSION}`])) problems.push(`anypod/${image}: the archive carries ${tags}, not docker.io/anypod/${image}:${VERSION}`);
    try {
      readFileSync(archive!);
      problems.push(`${archive} was not removed after loading`);
    } catch {
      // removed, as it should be
    }
  });
  const namespace = parse(readFileSync(files.NAMESPACE_MANIFEST, 'utf8'));
  if (namespace?.metadata?.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted') problems.push('kubectl apply did not receive the restricted namespace on stdin');

  const calls = readFileSync(files.CALLS, 'utf8').trim().split('\n');
  const order = ['kubectl apply -f -', 'helm upgrade --install anypod', 'kubectl rollout status deployment', 'helm test anypod', 'curl '].map((prefix) => calls.findIndex((call) => call.startsWith(prefix)));
  if (!order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]!))) problems.push(`calls out of order or missing:\n${calls.join('\n')}`);
  if (calls.filter((call) => call.startsWith('curl ')).length !== 2) problems.push('the gateway check did not retry until an answer');
  if (!/port-forward --namespace anypod service\/anypod-grafana 3001:3000/.test(result.stdout)) problems.push('no Grafana port-forward printed although the Service exists');
  // the archive folder (mktemp under TMPDIR) is gone too
  if (readdirSync(dir).some((name) => name.startsWith('anypod-images.'))) problems.push('the archive folder was left behind');
  return problems;
}

describe('deploy.sh for real (podman, stand-ins for the cluster)', () => {
  it('tags, saves and loads each image as docker.io/anypod/<name>:<version>, removes the archives, pipes the namespace to kubectl, waits for the gateway', () => {
    expect(realDeployProblems(REPO_ROOT)).toEqual([]);
  });

  it('mutant: saved under podman\'s own name (no tag) is caught', () => {
    const root = mutant('deploy.sh', /load_image "\$wanted"/, 'load_image "localhost/anypod/$$name:$$VERSION"');
    expect(realDeployProblems(root).join('\n')).toMatch(/carries \["localhost\/anypod\/auth/);
  });
});

// -- kind.sh and minikube.sh ---------------------------------------------------------------------
function controllerProblems(run: Run, contextFlag: { kubectl: string; helm: string }): string[] {
  const problems: string[] = [];
  const crds = find(run.commands, new RegExp(`^kubectl ${escape(contextFlag.kubectl)} apply --server-side --force-conflicts -f https://github\\.com/kubernetes-sigs/gateway-api/releases/download/${escape(GATEWAY_API_VERSION)}/standard-install\\.yaml$`));
  if (crds < 0) problems.push(`Gateway API ${GATEWAY_API_VERSION} standard CRDs are not installed from the official release URL`);
  const established = find(run.commands, /wait --for condition=Established .*crd\/httproutes\.gateway\.networking\.k8s\.io/);
  if (established < 0 || established < crds) problems.push('no wait for the CRDs to be Established after installing them');
  const traefik = find(run.commands, new RegExp(`^helm ${escape(contextFlag.helm)} upgrade --install traefik traefik --repo https://traefik\\.github\\.io/charts --version ${escape(TRAEFIK_CHART_VERSION)} --namespace traefik --create-namespace --values ${escape(join(QS, 'traefik-values.yaml'))} --wait`));
  if (traefik < 0) problems.push(`Traefik chart ${TRAEFIK_CHART_VERSION} is not installed with quickstart/traefik-values.yaml`);
  if (traefik >= 0 && traefik < established) problems.push('Traefik is installed before the Gateway API CRDs');
  const deploy = find(run.commands, /upgrade --install anypod /);
  if (deploy < 0 || deploy < traefik) problems.push('deploy.sh does not run after the controller');
  const unexpected = run.stubCalls.filter((call) => call !== 'docker info');
  if (unexpected.length > 0) problems.push(`a dry run executed: ${unexpected.join('; ')}`);
  if (run.status !== 0) problems.push(`exit status ${run.status}: ${run.stderr.trim()}`);
  return problems;
}

describe('kind.sh --dry-run', () => {
  const context = { kubectl: '--context kind-anypod', helm: '--kube-context kind-anypod' };
  it('creates the cluster with the port mapping, installs Gateway API CRDs and Traefik at their pins, then deploy.sh with kind load and values-kind.yaml', () => {
    const run = runScript(REPO_ROOT, 'kind.sh', ['--dry-run'], { env: { ANYPOD_ENGINE: 'podman' } });
    expect(controllerProblems(run, context), run.stdout + run.stderr).toEqual([]);
    expect(run.commands[0]).toBe(`kind create cluster --name anypod --config ${join(QS, 'kind-config.yaml')} --wait 120s`);
    expect(deployProblems(run, REPO_ROOT, { loader: KIND_LOADER, values: [join(QS, 'values-kind.yaml')], engine: 'podman' })).toEqual([]);
    expect(run.stdout).toMatch(/checking that the gateway answers at http:\/\/localhost:8080/);
  });

  it('--values adds a values file after values-kind.yaml (so it wins)', () => {
    const extra = join(QS, 'values-minikube.yaml');
    const run = runScript(REPO_ROOT, 'kind.sh', ['--dry-run', '--skip-build', '--values', extra], { env: { ANYPOD_ENGINE: 'podman' } });
    expect(find(run.commands, new RegExp(`--values ${escape(join(QS, 'values-kind.yaml'))} --values ${escape(extra)} --wait`))).toBeGreaterThan(-1);
  });

  it('without kind on PATH it exits non-zero naming kind; a mutant installing Traefik unpinned is caught', () => {
    const run = runScript(REPO_ROOT, 'kind.sh', ['--dry-run'], { env: { ANYPOD_ENGINE: 'podman' }, leaveOut: ['kind'] });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/'kind' is not on PATH/);
    const root = mutant('lib.sh', ' --version "$TRAEFIK_CHART_VERSION"', '');
    const broken = runScript(root, 'kind.sh', ['--dry-run'], { env: { ANYPOD_ENGINE: 'podman' } });
    expect(controllerProblems(broken, context).join('\n')).toMatch(/Traefik chart/);
  });
});

describe('minikube.sh --dry-run', () => {
  const context = { kubectl: '--context anypod', helm: '--kube-context anypod' };
  const loader = 'minikube image load --profile anypod';
  it('starts the profile, installs the controller, then deploy.sh with minikube image load, values-minikube.yaml and the NodePort URL', () => {
    const run = runScript(REPO_ROOT, 'minikube.sh', ['--dry-run'], { env: { ANYPOD_ENGINE: 'podman' } });
    expect(controllerProblems(run, context), run.stdout + run.stderr).toEqual([]);
    expect(run.commands[0]).toMatch(/^minikube start --profile anypod /);
    expect(deployProblems(run, REPO_ROOT, { loader, values: [join(QS, 'values-minikube.yaml')], engine: 'podman' })).toEqual([]);
    expect(run.stdout).toMatch(/k6 run -e BASE_URL=http:\/\/MINIKUBE_IP:30080 out\/load-tests\/\d\d-[a-z0-9-]+\.js/);
  });

  it('without minikube on PATH it exits non-zero naming minikube', () => {
    const run = runScript(REPO_ROOT, 'minikube.sh', ['--dry-run'], { env: { ANYPOD_ENGINE: 'podman' }, leaveOut: ['minikube'] });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/'minikube' is not on PATH/);
  });
});

// -- The pieces agree: chart, Traefik values, kind port mapping ----------------------------------
describe('the quickstart files agree with the chart and with each other', () => {
  const traefik = parse(readFileSync(join(QS, 'traefik-values.yaml'), 'utf8'));
  const kindConfig = parse(readFileSync(join(QS, 'kind-config.yaml'), 'utf8'));

  it.each([['values-kind.yaml'], ['values-minikube.yaml']])('%s renders with the real chart; its Gateway is one Traefik binds and its NetworkPolicy admits Traefik', (file) => {
    const objects = render({ valuesFiles: [join(QS, file)] });
    const [gateway, ...more] = ofKind<K8sObject & { spec: { gatewayClassName: string; listeners: { port: number }[] } }>(objects, 'Gateway');
    expect(more).toEqual([]);
    expect(gateway!.spec.gatewayClassName).toBe(traefik.gatewayClass.name);
    expect(traefik.gatewayClass.enabled).toBe(true);
    expect(traefik.providers.kubernetesGateway.enabled).toBe(true);
    // Traefik attaches a listener to the entry point with the same port.
    expect(gateway!.spec.listeners.map((l) => l.port)).toEqual([traefik.ports.web.port]);
    const routes = ofKind(objects, 'HTTPRoute').map((r) => r.metadata.name).sort();
    expect(routes).toEqual(SERVICES.map((s) => `anypod-${s}`).sort());
    // The chart's NetworkPolicies admit the controller's namespace; lib.sh installs Traefik there.
    const libNamespace = /^TRAEFIK_NAMESPACE=(\S+)$/m.exec(readFileSync(join(QS, 'lib.sh'), 'utf8'))![1];
    const policies = JSON.stringify(ofKind(objects, 'NetworkPolicy'));
    expect(policies).toContain(`"kubernetes.io/metadata.name":"${libNamespace}"`);
  });

  it('kind maps Traefik\'s NodePort to localhost:8080 (what kind.sh prints); minikube.sh uses the same NodePort', () => {
    const mapping = kindConfig.nodes[0].extraPortMappings[0];
    expect(mapping.containerPort).toBe(traefik.ports.web.nodePort);
    expect(traefik.service.spec.type).toBe('NodePort');
    expect(mapping.listenAddress).toBe('127.0.0.1');
    expect(readFileSync(join(QS, 'kind.sh'), 'utf8')).toContain(`BASE=http://localhost:${mapping.hostPort}`);
    expect(readFileSync(join(QS, 'minikube.sh'), 'utf8')).toContain(`NODE_PORT=${traefik.ports.web.nodePort}`);
  });

  it('a values file that breaks the chart\'s schema is refused by the same render (the check above can fail)', () => {
    const broken = join(tmp, 'broken-values.yaml');
    writeFileSync(broken, readFileSync(join(QS, 'values-kind.yaml'), 'utf8').replace('storageClassName: standard', 'storageClass: standard'));
    expect(() => render({ valuesFiles: [broken] })).toThrow(/storageClass/);
  });
});

// -- delete-pods.sh --------------------------------------------------------------------------------
// A fake kubectl: it records every call and answers the few the script makes. This stands in for
// the cluster's API only because no cluster exists in this test; on the Kubernetes built from
// source here (the real-cluster issue) the script runs against the real API.
// The pods it lists per service (FAKE_LAYOUT): "normal" — <release>-<service>-a/-b/-c ready,
// -old terminating (a deletionTimestamp, still Ready) and -new not ready yet; "crowded" — only -a
// ready, next to three terminating and three not-ready pods (used with FAKE_DESIRED=1, so a
// script that picks a wrong pod is caught at once). FAKE_DESIRED is the Deployment's replicas.
const FAKE_KUBECTL = `#!/bin/bash
printf '%s\\n' "$*" >> "$FAKE_LOG"
args=" $* "
case "$args" in
  *" get deployment/"*) printf '%s' "\${FAKE_DESIRED:-3}" ;;
  *" get pods "*)
    component=$(sed -n 's/.*app\\.kubernetes\\.io\\/component=\\([a-z]*\\).*/\\1/p' <<<"$args")
    instance=$(sed -n 's/.*app\\.kubernetes\\.io\\/instance=\\([a-z]*\\).*/\\1/p' <<<"$args")
    pod="$instance-$component"
    if [[ "\${FAKE_LAYOUT:-normal}" == crowded ]]; then
      for n in 1 2 3; do printf '%s %s %s\\n' "$pod-old$n" 2026-11-30T07:00:00Z True; printf '%s  %s\\n' "$pod-new$n" False; done
      printf '%s  %s\\n' "$pod-a" True
    else
      for suffix in a b c; do printf '%s  %s\\n' "$pod-$suffix" True; done
      printf '%s %s %s\\n' "$pod-old" 2026-11-30T07:00:00Z True
      printf '%s  %s\\n' "$pod-new" False
    fi
    ;;
  *" delete pod "* | *" wait --for=delete "*) ;;
  *) echo "fake kubectl: unexpected call: $*" >&2; exit 2 ;;
esac
`;
const fakeDir = join(tmp, 'fake-kubectl');
mkdirSync(fakeDir);
writeFileSync(join(fakeDir, 'kubectl'), FAKE_KUBECTL);
chmodSync(join(fakeDir, 'kubectl'), 0o755);

function deletePods(root: string, args: string[], timeoutMs = 60_000, fake: Record<string, string> = {}): Run & { calls: string[] } {
  const log = join(mkdtempSync(join(tmp, 'delete-')), 'kubectl.log');
  writeFileSync(log, '');
  const run = runScript(root, 'delete-pods.sh', args, { pathDirs: [fakeDir], env: { FAKE_LOG: log, ...fake }, timeoutMs, leaveOut: ['kubectl'] });
  return { ...run, calls: readFileSync(log, 'utf8').split('\n').filter((line) => line !== '') };
}

/** What a delete-pods.sh run must look like; returns the problems found. */
function deletePodsProblems(run: ReturnType<typeof deletePods>, rounds: number, opts: { force: boolean; release?: string; namespace?: string }): string[] {
  const problems: string[] = [];
  const release = opts.release ?? 'anypod';
  const namespace = opts.namespace ?? 'anypod';
  if (run.timedOut) return ['it did not stop by itself (killed by the test\'s timeout)'];
  if (run.status !== 0) problems.push(`exit status ${run.status}: ${run.stderr.trim()}`);
  const deletes = run.calls.filter((call) => / delete /.test(` ${call} `));
  if (deletes.length !== rounds) problems.push(`${deletes.length} delete calls for ${rounds} rounds`);
  deletes.forEach((call, i) => {
    const service = SERVICES[i % SERVICES.length];
    const match = new RegExp(`^--namespace ${namespace} delete pod (\\S+)( --grace-period=0 --force)? --wait=false$`).exec(call);
    if (!match) {
      problems.push(`round ${i + 1}: not a deletion of exactly one pod: ${call}`);
      return;
    }
    const pod = match[1]!;
    if (!new RegExp(`^${release}-${service}-[abc]$`).test(pod)) problems.push(`round ${i + 1}: deleted ${pod}, expected a running pod of ${service}`);
    if (Boolean(match[2]) !== opts.force) problems.push(`round ${i + 1}: ${opts.force ? 'not forced' : 'forced'}: ${call}`);
    const at = run.calls.indexOf(call);
    const next = run.calls.slice(at + 1);
    if (!next.includes(`--namespace ${namespace} wait --for=delete pod/${pod} --timeout 180s`)) problems.push(`round ${i + 1}: no wait for ${pod} to be gone`);
    const nextDelete = next.findIndex((c) => / delete /.test(` ${c} `));
    const between = next.slice(0, nextDelete < 0 ? undefined : nextDelete);
    if (!SERVICES.every((s) => between.some((c) => c.includes(` get deployment/${release}-${s} `)))) problems.push(`round ${i + 1}: the next step does not wait for every service to be ready again`);
    if (!new RegExp(`\\d\\d:\\d\\d:\\d\\d round ${i + 1}/${rounds}: deleted pod ${pod} \\(${service}, `).test(run.stdout)) problems.push(`round ${i + 1}: the output does not say when which pod was deleted`);
  });
  return problems;
}

describe('delete-pods.sh (fake kubectl)', () => {
  it('deletes one pod per round, services in turn, waits for the replacement, stops after --rounds', () => {
    const run = deletePods(REPO_ROOT, ['--rounds', '4', '--interval', '0']);
    expect(deletePodsProblems(run, 4, { force: false }), run.stdout + run.stderr).toEqual([]);
    expect(run.stdout).toMatch(/done: 4 pods deleted/);
  });

  it('defaults to 5 rounds; --force deletes with grace period 0; release, namespace and context are passed on', () => {
    expect(deletePodsProblems(deletePods(REPO_ROOT, ['--interval', '0']), 5, { force: false })).toEqual([]);
    const forced = deletePods(REPO_ROOT, ['--rounds', '2', '--interval', '0', '--force', '--release', 'demo', '--namespace', 'shop', '--context', 'kind-anypod']);
    // --context comes before --namespace in every call; drop it so the same checks apply.
    const calls = forced.calls.map((c) => {
      expect(c.startsWith('--context kind-anypod --namespace shop ')).toBe(true);
      return c.replace('--context kind-anypod ', '');
    });
    expect(deletePodsProblems({ ...forced, calls }, 2, { force: true, release: 'demo', namespace: 'shop' }), forced.stdout + forced.stderr).toEqual([]);
  });

  it('picks only ready pods that are not being deleted (many wrong ones around), over eight rounds', () => {
    const run = deletePods(REPO_ROOT, ['--rounds', '8', '--interval', '0'], 60_000, { FAKE_LAYOUT: 'crowded', FAKE_DESIRED: '1' });
    expect(deletePodsProblems(run, 8, { force: false }), run.stdout + run.stderr).toEqual([]);
  });

  it('stops with a clear error when a service does not get its pods ready within --ready-timeout, deleting nothing', () => {
    const started = Date.now();
    const run = deletePods(REPO_ROOT, ['--rounds', '3', '--interval', '0', '--ready-timeout', '2'], 20_000, { FAKE_DESIRED: '4' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/auth has 3 of 4 pods ready after 2 s; stopping/);
    expect(run.calls.filter((c) => c.includes(' delete '))).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses bad input and a missing kubectl with clear messages', () => {
    for (const [args, message] of [[['--rounds', '0'], /--rounds must be/], [['--interval', 'soon'], /--interval must be/], [['--services', 'cart;rm'], /not a service name/], [['--bogus'], /unknown option '--bogus'/]] as const) {
      const run = deletePods(REPO_ROOT, [...args]);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(message);
      expect(run.calls.filter((c) => c.includes(' delete '))).toEqual([]);
    }
    const noKubectl = runScript(REPO_ROOT, 'delete-pods.sh', ['--rounds', '1'], { leaveOut: ['kubectl'] });
    expect(noKubectl.status).not.toBe(0);
    expect(noKubectl.stderr).toMatch(/'kubectl' is not on PATH/);
  });

  describe('mutants: each broken delete-pods.sh is caught', () => {
    it.each([
      ['never stops', 'round <= ROUNDS; round++', '; round++', /did not stop by itself/],
      ['deletes every pod of the service', 'delete pod "$pod"', 'delete pods --all', /not a deletion of exactly one pod/],
      ['one round too many', 'round <= ROUNDS; round++', 'round <= ROUNDS + 1; round++', /4 delete calls for 3 rounds/],
      ['always the same service', 'service=${SERVICE_LIST[$(((round - 1) % ${#SERVICE_LIST[@]}))]}', 'service=${SERVICE_LIST[0]}', /expected a running pod of catalog/],
      ['picks terminating pods too', `awk 'NF == 2 && $2 == "True" { print $1 }'`, `awk '$NF == "True" { print $1 }'`, /deleted \S+-old\d, expected a running pod of/],
      ['picks pods that are not ready', `awk 'NF == 2 && $2 == "True" { print $1 }'`, `awk 'NF == 2 { print $1 }'`, /deleted \S+-new\d, expected a running pod of/],
      ['graceful flag ignored', 'DELETE_FLAGS=(--grace-period=0 --force)', 'DELETE_FLAGS=()', /not forced/],
      ['no wait for the replacement', '  wait_all_ready\n  log "$(now)     every service', '  log "$(now)     every service', /does not wait for every service/],
    ] as const)('%s', (label, from, to, expected) => {
      const root = mutant('delete-pods.sh', from, to);
      const force = label === 'graceful flag ignored';
      // the pod-choice mutants meet the crowded layout: three wrong pods to one right one per pick, eight
      // rounds (a wrong pick is missed with probability (1/4)^8 = 0.0015 %)
      const crowded = label.startsWith('picks ');
      const rounds = crowded ? 8 : 3;
      const run = deletePods(root, ['--rounds', String(rounds), '--interval', '0', ...(force ? ['--force'] : [])], label === 'never stops' ? 3_000 : 60_000, crowded ? { FAKE_LAYOUT: 'crowded', FAKE_DESIRED: '1' } : {});
      expect(deletePodsProblems(run, rounds, { force }).join('\n')).toMatch(expected);
    });
  });
});

// -- load-tests: the k6 commands and the k6-operator TestRun --------------------------------------
// The scripts themselves are bundled and checked in tools/test/load-tests-bundle.test.ts; here:
// every k6 command the quickstart prints or its docs show runs a bundle of a script that exists
// (out/load-tests/NN-name.js from load-tests/NN-name.ts), and the TestRun runs one through the
// gateway as the quickstart installs it.
/** `k6 run ... <script>` commands in a text. */
function k6Commands(text: string): string[] {
  return [...text.matchAll(/\bk6 run [^\n`]*?(\S+\.(?:js|ts))\b/g)].map((m) => m[0]);
}
/** Problems with the script a k6 command runs (empty: a bundle make load-tests makes). */
function staleK6Script(command: string): string[] {
  const script = /(\S+\.(?:js|ts))$/.exec(command)![1]!;
  const bundle = /^out\/load-tests\/(\d\d-[a-z0-9-]+)\.js$/.exec(script);
  if (!bundle) return [`'${command}': k6 runs the bundles of make load-tests (out/load-tests/NN-name.js), not ${script}`];
  return existsSync(join(REPO_ROOT, 'load-tests', `${bundle[1]}.ts`)) ? [] : [`'${command}': no load-tests/${bundle[1]}.ts`];
}

describe('load-tests: the k6 commands and the k6-operator TestRun', () => {
  it('every k6 command in the quickstart, the READMEs and the kind workflow runs a bundle of an existing script', () => {
    const files = ['README.md', 'quickstart/README.md', 'load-tests/README.md', ...readdirSync(QS).filter((f) => f.endsWith('.sh')).map((f) => `quickstart/${f}`)];
    const problems: string[] = [];
    let commands = 0;
    for (const file of files) {
      for (const command of k6Commands(readFileSync(join(REPO_ROOT, file), 'utf8'))) {
        commands++;
        problems.push(...staleK6Script(command).map((p) => `${file}: ${p}`));
      }
    }
    const workflow = parse(readFileSync(join(REPO_ROOT, '.github/workflows/kind.yml'), 'utf8'));
    const k6Step = workflow.jobs.kind.steps.find((s: { uses?: string }) => s.uses?.startsWith('grafana/run-k6-action@'));
    problems.push(...staleK6Script(`k6 run ${k6Step.with.path}`).map((p) => `kind.yml: ${p}`));
    const bundling = workflow.jobs.kind.steps.findIndex((s: { run?: string }) => /\bmake load-tests\b|tools\/load-tests\/cli\.ts/.test(s.run ?? ''));
    if (bundling < 0 || bundling > workflow.jobs.kind.steps.indexOf(k6Step)) problems.push('kind.yml: the bundles are not built (tools/load-tests/cli.ts) before k6 runs');
    expect(commands).toBeGreaterThan(3);
    expect(problems).toEqual([]);
  });

  it('a stale path is caught (the check can fail)', () => {
    expect(staleK6Script('k6 run -e BASE_URL=http://localhost:8080 load-tests/smoke.js')).toHaveLength(1);
    expect(staleK6Script('k6 run out/load-tests/09-gone.js')).toEqual(['\'k6 run out/load-tests/09-gone.js\': no load-tests/09-gone.ts']);
    expect(staleK6Script('k6 run out/load-tests/03-pod-deletion.js')).toEqual([]);
  });

  it('the TestRun: one runner, a bundle in the ConfigMap, through the quickstart\'s Traefik, outside the release\'s namespace', () => {
    const testRun = parse(readFileSync(join(REPO_ROOT, 'load-tests/k6-operator/testrun.yaml'), 'utf8'));
    expect(testRun.apiVersion).toBe('k6.io/v1alpha1');
    expect(testRun.kind).toBe('TestRun');
    expect(testRun.spec.parallelism).toBe(1);
    expect(testRun.spec.script.configMap.name).toBe('anypod-load-tests');
    expect(staleK6Script(`k6 run out/load-tests/${testRun.spec.script.configMap.file}`)).toEqual([]);
    // the release's NetworkPolicies deny every pod of its namespace (quickstart: anypod)
    expect(testRun.metadata.namespace).not.toBe('anypod');
    const env = Object.fromEntries(testRun.spec.runner.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    const traefikNamespace = /^TRAEFIK_NAMESPACE=(\S+)$/m.exec(readFileSync(join(QS, 'lib.sh'), 'utf8'))?.[1]?.replace(/["']/g, '');
    expect(traefikNamespace).toBeTruthy();
    expect(env.BASE_URL).toBe(`http://traefik.${traefikNamespace}.svc.cluster.local`);
    expect(testRun.spec.runner.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(testRun.spec.runner.containerSecurityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });
});
