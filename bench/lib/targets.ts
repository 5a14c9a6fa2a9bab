// The issue's targets, read from the measurements (never asserted in a test: the machines are
// noisy). Each says what it compared and whether it was met; one that could not be read says
// "not measured" and which rows it needed.
import { formatFigure, type Figure, type Measurement, type TargetVerdict } from './results.ts';

const find = (measurements: Measurement[], section: string, subject: string | RegExp, via?: string): Measurement | undefined =>
  measurements.find((m) => m.section === section && (typeof subject === 'string' ? m.subject === subject : subject.test(m.subject)) && (via === undefined || m.via === via));

const value = (m: Measurement | undefined, name: string): number | undefined => {
  const v = m?.figures[name]?.value;
  return v !== undefined && Number.isFinite(v) ? v : undefined;
};

function verdict(target: string, measured: Figure | undefined, ok: (v: number) => boolean, missing: string): TargetVerdict {
  if (!measured || !Number.isFinite(measured.value)) return { target, measured: `— (${missing})`, verdict: 'not measured' };
  return { target, measured: formatFigure(measured), verdict: ok(measured.value) ? 'met' : 'missed' };
}

/** Several rows against one bound: met when all are, with each value listed. */
function each(target: string, rows: Array<{ label: string; figure: Figure | undefined }>, ok: (v: number) => boolean, missing: string): TargetVerdict {
  const present = rows.filter((r) => r.figure && Number.isFinite(r.figure.value));
  if (present.length === 0) return { target, measured: `— (${missing})`, verdict: 'not measured' };
  const measured = present.map((r) => `${r.label} ${formatFigure(r.figure!)}`).join(', ');
  const allMet = present.every((r) => ok(r.figure!.value));
  return { target, measured: present.length < rows.length ? `${measured}; the others not measured (${missing})` : measured, verdict: allMet ? (present.length === rows.length ? 'met' : 'not measured') : 'missed' };
}

const SERVICES = ['auth', 'catalog', 'cart'] as const;

export function evaluateTargets(measurements: Measurement[]): TargetVerdict[] {
  const directGet = find(measurements, 'routes', 'catalog cached GET', 'one replica, direct');
  const controllerGet = find(measurements, 'routes', 'catalog cached GET', 'real controller, 3 pods');
  const podGet = find(measurements, 'routes', 'catalog cached GET', 'one pod, direct');
  const controllerRatio = value(controllerGet, 'req/s') !== undefined && value(podGet, 'req/s') ? value(controllerGet, 'req/s')! / value(podGet, 'req/s')! : undefined;
  const telemetryOn = find(measurements, 'telemetry', /tracing \+ metrics on/);
  const coldStart = (via: string) => SERVICES.map((s) => ({ label: `${s} (${via})`, figure: find(measurements, 'cold start', s, via)?.figures['median to ready'] }));
  const rssUnderLoad = SERVICES.map((s) => ({ label: s, figure: find(measurements, 'footprint', `${s} replica`, 'process')?.figures['RSS under load'] }));
  const localCluster = find(measurements, 'footprint', /^local cluster during a proof run/);
  const deletions = ['local Ingress, 3 replicas', 'real controller, 3 pods'].map((via) => ({ label: via, figure: find(measurements, 'deletions', 'p99 during deletions vs outside them', via)?.figures['during / outside'] }));
  return [
    verdict('catalog cached GET on one replica ≥ 50 % of the bare Fastify limit', directGet?.figures['of limit'], (v) => v >= 0.5, 'needs the limit and routes stages'),
    verdict('through the real controller with 3 replicas ≥ 80 % of one replica directly (catalog cached GET)', controllerRatio === undefined ? undefined : { value: controllerRatio, unit: 'ratio' }, (v) => v >= 0.8, 'needs the kube stage'),
    verdict('tracing + metrics cost ≤ 15 %', telemetryOn?.figures.cost, (v) => v <= 0.15, 'needs the telemetry stage'),
    each('cold start to ready ≤ 1.0 s per service', [...coldStart('process'), ...coldStart('pod')], (v) => v <= 1000, 'needs the cold-start and kube stages'),
    each('RSS ≤ 150 MiB per replica under load', rssUnderLoad, (v) => v <= 150, 'needs the routes stage'),
    verdict('the local cluster of 9 replicas ≤ 2 GiB', localCluster?.figures['RSS peak, all'], (v) => v <= 2048, 'needs the footprint stage'),
    each('p99 during deletions ≤ 2 × p99 outside them', deletions, (v) => v <= 2, 'needs the footprint and kube stages'),
  ];
}
