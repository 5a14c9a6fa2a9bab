// The chart's operational policy as pure functions over rendered objects: each returns the
// violations it finds, each violation naming the object, the rule and what to change. The
// policy test (tools/test/k8s/policy.test.ts) runs them over the defaults and every ci variant
// and expects none, and over broken variants expecting the specific rule.
//   - Pod Security "restricted" for every pod template (kubernetes.io/docs/concepts/security/pod-security-standards),
//     and enforced by the label of any Namespace the chart renders
//   - read-only root filesystems, requests and limits on every container (init containers too)
//   - no service-account token in pods that do not talk to the API (none of ours does)
//   - the service Deployments: probes, pre-stop sleep, grace budget (and, where the service's code
//     states its longest request, the shutdown timeout covering it), ≥ 3 replicas, maxUnavailable 0, POD_NAME
//   - the connection budget of the release against Postgres' max_connections
// (pod-security.ts and connection-budget.ts hold the two larger parts).
import { cartConfig } from '@anypod/cart/config';
import { BaseConfigSchema } from '@anypod/platform/config';
// cart's own timing rule (not an export of the package: the policy reads the service's code, so
// the longest request it checks against is the one cart really allows itself).
import { checkoutTiming } from '../../services/cart/src/lib/checkout-timing.ts';
import { connectionBudget, type PostgresLimits } from './connection-budget.ts';
import { namespaceViolations, podSecurityViolations } from './pod-security.ts';
import type { K8sObject } from './render.ts';
import { violation, type Violation } from './violations.ts';
import { allContainers, field, hpaFor, plainEnv, podTemplates, resolveEnv, serviceContainer, serviceDeployments, type Container, type PodTemplate } from './workloads.ts';

export { connectionBudget, MIGRATE_CONNECTIONS, postgresLimits, type ConnectionBudget, type PostgresLimits } from './connection-budget.ts';
export { namespaceViolations, podSecurityViolations } from './pod-security.ts';
export { formatViolations, type Violation } from './violations.ts';

// ---------------------------------------------------------------------------------------------
// Every container: read-only root filesystem, requests and limits.

const RESOURCE_NAMES = ['cpu', 'memory'] as const;

export function containerViolations(template: PodTemplate): Violation[] {
  const out: Violation[] = [];
  for (const { container, kind } of allContainers(template.spec)) {
    const where = `${kind} '${container.name}'`;
    if (container.securityContext?.readOnlyRootFilesystem !== true)
      out.push(violation(template.ref, 'readOnlyRootFilesystem', `${where}: set securityContext.readOnlyRootFilesystem: true (mount an emptyDir where it must write, e.g. /tmp)`));
    for (const section of ['requests', 'limits'] as const) {
      const missing = RESOURCE_NAMES.filter((name) => container.resources?.[section]?.[name] === undefined);
      if (missing.length > 0) out.push(violation(template.ref, `resources.${section}`, `${where}: set resources.${section}.${missing.join(' and ')}`));
    }
  }
  return out;
}

/**
 * No API token in pods that never call the Kubernetes API (none of ours does): either the pod says
 * automountServiceAccountToken: false, or it leaves it unset and its ServiceAccount (rendered by
 * the chart) says false.
 */
export function serviceAccountViolations(template: PodTemplate, objects: K8sObject[]): Violation[] {
  const { spec } = template;
  if (spec.automountServiceAccountToken === false) return [];
  if (spec.automountServiceAccountToken === undefined) {
    const name = spec.serviceAccountName ?? 'default';
    const account = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === name);
    if (account?.automountServiceAccountToken === false) return [];
  }
  return [violation(template.ref, 'automountServiceAccountToken', 'set automountServiceAccountToken: false in the pod spec (the pod never calls the Kubernetes API, so it should hold no token)')];
}

// ---------------------------------------------------------------------------------------------
// The service Deployments (auth, catalog, cart).

/**
 * Seconds between the service's forced exit (SHUTDOWN_TIMEOUT_MS after SIGTERM) and the kubelet's
 * SIGKILL. 2 s, because the forced exit is a timer on the service's own event loop: a GC pause
 * or a synchronous burst can fire it late, and process exit then flushes stdout (the
 * shutdown-timed-out log line is what tells an operator what happened). And the kubelet sends
 * SIGTERM only after it has seen the pre-stop hook return, through the container runtime, which
 * takes its own moment; grace, pre-stop and timeout are whole seconds, so there is no smaller
 * unit to spend. The chart's own render-time rule uses the same 2 s.
 */
export const GRACE_MARGIN_SECONDS = 2;
/** The services' default SHUTDOWN_TIMEOUT_MS, from their schema: what applies when the chart sets none. */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = BaseConfigSchema.properties.SHUTDOWN_TIMEOUT_MS.default as number;
/** The replica count the project promises (one deleted, one rolling, one still serving). */
export const MIN_REPLICAS = 3;
/** Kubernetes' default grace period when a pod spec sets none. */
const DEFAULT_GRACE_SECONDS = 30;

const intOrUndefined = (value: string | undefined): number | undefined => (value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : undefined);

/** The service's SHUTDOWN_TIMEOUT_MS as the service will read it: the chart's plain value, else the schema default. */
function shutdownTimeoutMs(objects: K8sObject[], container: Container): { ms: number; source: string } | { problem: string } {
  const source = resolveEnv(objects, container).vars.get('SHUTDOWN_TIMEOUT_MS');
  if (!source) return { ms: DEFAULT_SHUTDOWN_TIMEOUT_MS, source: 'unset: the services\' default' };
  if (source.kind !== 'value') return { problem: `SHUTDOWN_TIMEOUT_MS comes from ${source.kind}; set it as a plain value so the grace budget can be checked` };
  const ms = intOrUndefined(source.value);
  return ms === undefined ? { problem: `SHUTDOWN_TIMEOUT_MS is '${source.value}', not a whole number of milliseconds` } : { ms, source: `set in ${source.from}` };
}

/**
 * What onClose needs after the last request: flush telemetry, close the Postgres pool and Redis.
 * The chart's estimate (onCloseSeconds: 2); it is not measured here.
 */
export const ON_CLOSE_MS = 2000;

/** A number the service reads, as the chart sets it (plain value) or the schema's default. */
function numberSetting(objects: K8sObject[], container: Container, name: string, defaults: Record<string, { default?: unknown }>): number | undefined {
  const text = plainEnv(objects, container, name);
  const value = text === undefined ? defaults[name]?.default : Number(text);
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * The longest request of a service, where the service's code states it: cart's checkout works
 * until its own deadline (services/cart/src/lib/checkout-timing.ts, from CATALOG_TIMEOUT_MS,
 * CATALOG_RETRIES and IDEMPOTENCY_LEASE_SECONDS as the chart sets them). auth and catalog state
 * none (short transactions), so only the grace budget applies to them.
 */
export function longestRequestMs(component: string | undefined, objects: K8sObject[], container: Container): { ms: number; what: string } | undefined {
  if (component !== 'cart') return undefined;
  const properties = cartConfig.schema.properties as Record<string, { default?: unknown }>;
  const settings = {
    CATALOG_TIMEOUT_MS: numberSetting(objects, container, 'CATALOG_TIMEOUT_MS', properties),
    CATALOG_RETRIES: numberSetting(objects, container, 'CATALOG_RETRIES', properties),
    IDEMPOTENCY_LEASE_SECONDS: numberSetting(objects, container, 'IDEMPOTENCY_LEASE_SECONDS', properties),
  };
  if (Object.values(settings).some((v) => v === undefined)) return undefined;
  const timing = checkoutTiming(settings as { CATALOG_TIMEOUT_MS: number; CATALOG_RETRIES: number; IDEMPOTENCY_LEASE_SECONDS: number });
  return { ms: timing.workMs, what: `a checkout's work deadline (CATALOG_TIMEOUT_MS ${settings.CATALOG_TIMEOUT_MS}, CATALOG_RETRIES ${settings.CATALOG_RETRIES})` };
}

export function serviceDeploymentViolations(template: PodTemplate, objects: K8sObject[]): Violation[] {
  const { ref, spec, owner } = template;
  const out: Violation[] = [];
  const add = (rule: string, message: string) => out.push(violation(ref, rule, message));
  const container = serviceContainer(template);
  if (!container) return [violation(ref, 'serviceContainer', `no container named '${template.component}' (and not exactly one container): name the service's container after its component`)];
  const where = `container '${container.name}'`;

  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
    if (!container[probe]) add(`probes.${probe}`, `${where}: add a ${probe} (startup and readiness GET /readyz, liveness GET /healthz on the service port)`);
  }

  const preStop = container.lifecycle?.preStop?.sleep?.seconds;
  if (typeof preStop !== 'number' || preStop <= 0)
    add('preStop.sleep', `${where}: add lifecycle.preStop.sleep.seconds (a few seconds of normal serving while the endpoint removal reaches kube-proxy and the ingress controller)`);

  const timeout = shutdownTimeoutMs(objects, container);
  if ('problem' in timeout) add('graceBudget', `${where}: ${timeout.problem}`);
  else {
    const grace = spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    const needed = (typeof preStop === 'number' ? preStop : 0) + Math.ceil(timeout.ms / 1000) + GRACE_MARGIN_SECONDS;
    if (grace < needed)
      add(
        'graceBudget',
        `terminationGracePeriodSeconds is ${grace} but the pre-stop sleep (${preStop ?? 0} s) + SHUTDOWN_TIMEOUT_MS (${timeout.ms} ms, ${timeout.source}) + ${GRACE_MARGIN_SECONDS} s margin need ${needed}: raise the grace period or shorten the timeout, or the kubelet SIGKILLs the pod while it drains`,
      );
    // The timeout itself must let the longest request finish and onClose run after it.
    const longest = longestRequestMs(template.component, objects, container);
    if (longest && timeout.ms < longest.ms + ON_CLOSE_MS)
      add(
        'shutdownBudget',
        `${where}: SHUTDOWN_TIMEOUT_MS is ${timeout.ms} but ${longest.what} is ${longest.ms} ms and onClose needs ${ON_CLOSE_MS} ms: raise the timeout to at least ${longest.ms + ON_CLOSE_MS} (and the grace period with it), or requests in flight are cut off at shutdown`,
      );
  }

  const hpa = hpaFor(objects, owner);
  const replicas = field(owner, 'spec', 'replicas') as number | undefined;
  if (hpa) {
    const minReplicas = (field(hpa, 'spec', 'minReplicas') as number | undefined) ?? 1;
    if (minReplicas < MIN_REPLICAS) add('replicas', `HorizontalPodAutoscaler/${hpa.metadata.name} has minReplicas ${minReplicas}; set it to at least ${MIN_REPLICAS}`);
  } else if ((replicas ?? 1) < MIN_REPLICAS) {
    add('replicas', `replicas is ${replicas ?? 'unset (1)'} and no HorizontalPodAutoscaler targets it; set replicas to at least ${MIN_REPLICAS} (or enable the HPA with minReplicas ≥ ${MIN_REPLICAS})`);
  }

  const strategy = field(owner, 'spec', 'strategy') as { type?: string; rollingUpdate?: { maxUnavailable?: number | string } } | undefined;
  const maxUnavailable = strategy?.rollingUpdate?.maxUnavailable;
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate' || !(maxUnavailable === 0 || maxUnavailable === '0%' || maxUnavailable === '0'))
    add('maxUnavailable', `rolling updates must never drop a serving pod: set strategy.type RollingUpdate with rollingUpdate.maxUnavailable: 0 (now ${strategy?.type ?? 'RollingUpdate'}, maxUnavailable ${maxUnavailable ?? 'unset (25%)'})`);

  const podName = resolveEnv(objects, container).vars.get('POD_NAME');
  if (podName?.kind !== 'fieldRef' || podName.fieldPath !== 'metadata.name')
    add('POD_NAME', `${where}: set env POD_NAME from valueFrom.fieldRef.fieldPath: metadata.name (X-Served-By and traces name the pod)`);
  return out;
}

// ---------------------------------------------------------------------------------------------

export interface PolicyOptions {
  /** limits of an external Postgres, for a release that runs none */
  externalPostgres?: PostgresLimits;
}

/** Every rule over a whole render. */
export function policyViolations(objects: K8sObject[], options: PolicyOptions = {}): Violation[] {
  const out: Violation[] = [];
  for (const template of podTemplates(objects)) {
    out.push(...podSecurityViolations(template), ...containerViolations(template), ...serviceAccountViolations(template, objects));
  }
  out.push(...namespaceViolations(objects));
  const services = serviceDeployments(objects);
  if (services.length === 0) out.push(violation('release', 'serviceDeployments', 'no Deployment labelled app.kubernetes.io/component auth, catalog or cart was rendered'));
  for (const template of services) out.push(...serviceDeploymentViolations(template, objects));
  out.push(...connectionBudget(objects, options.externalPostgres).violations);
  return out;
}
