// The Prometheus operator's CRDs (monitoring.coreos.com/v1: PodMonitor, ServiceMonitor,
// PrometheusRule), from the module pinned in operator-crds/go.mod through the Go module proxy,
// so the chart's monitoring objects are validated offline by kubectl-validate like every other
// object it renders (tools/k8s/validate.ts).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../cluster/paths.ts';
import { gatewayApiCrds } from '../k8s/validate.ts';

const MODULE_DIR = join(REPO_ROOT, 'tools/dashboards/operator-crds');
const MODULE = 'github.com/prometheus-operator/prometheus-operator';
/** The kinds the chart renders (the module has ten CRDs; the others are the operator's own). */
export const MONITORING_CRDS = ['podmonitors', 'servicemonitors', 'prometheusrules'].map((plural) => `monitoring.coreos.com_${plural}.yaml`);

/** The folder of the pinned module's CRD YAMLs (downloaded into the Go module cache on first use). */
export function operatorCrdsDir(): string {
  const result = spawnSync('go', ['mod', 'download', '-json', MODULE], {
    cwd: MODULE_DIR,
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly' },
  });
  if (result.status !== 0) throw new Error(`go mod download ${MODULE} failed in ${MODULE_DIR} (Go and the Go module proxy are needed):\n${(result.stderr || result.stdout).trim()}`);
  const { Dir } = JSON.parse(result.stdout) as { Dir: string };
  const dir = join(Dir, 'example/prometheus-operator-crd');
  const missing = MONITORING_CRDS.filter((file) => !existsSync(join(dir, file)));
  if (missing.length > 0) throw new Error(`${dir} lacks ${missing.join(', ')}: the pinned module no longer ships them there`);
  return dir;
}

/** A temporary folder with the Gateway API CRDs and the monitoring CRDs, for one kubectl-validate run; remove() when done. */
export function validationCrds(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'anypod-crds-'));
  const gateway = gatewayApiCrds();
  for (const file of readdirSync(gateway).filter((f) => f.endsWith('.yaml'))) copyFileSync(join(gateway, file), join(dir, file));
  const operator = operatorCrdsDir();
  for (const file of MONITORING_CRDS) copyFileSync(join(operator, file), join(dir, file));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
