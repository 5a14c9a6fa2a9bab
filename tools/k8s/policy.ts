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
import { cartConfig } from '@anypod/cart/config';
import { BaseConfigSchema } from '@anypod/platform/config';
// cart's own timing rule (not an export of the package: the policy reads the service's code, so
// the longest request it checks against is the one cart really allows itself).
import { checkoutTiming } from '../../services/cart/src/lib/checkout-timing.ts';
import type { K8sObject } from './render.ts';
import {
  allContainers,
  field,
  hpaFor,
  plainEnv,
  podTemplates,
  resolveEnv,
  serviceContainer,
  serviceDeployments,
  type Container,
  type PodTemplate,
  type SecurityContext,
} from './workloads.ts';

export interface Violation {
  /** "Deployment/anypod-auth" */
  object: string;
  /** a stable id, e.g. "pss.runAsNonRoot", that tests match on */
  rule: string;
  /** what is wrong and what to change */
  message: string;
}

const violation = (object: string, rule: string, message: string): Violation => ({ object, rule, message });

/** One line per violation, for test failure messages. */
export const formatViolations = (violations: Violation[]): string => violations.map((v) => `  ${v.object}: [${v.rule}] ${v.message}`).join('\n');

// ---------------------------------------------------------------------------------------------
// Pod Security "restricted" (which includes "baseline"), as the admission controller checks it.

/** Volume types the restricted profile allows; anything else (hostPath first of all) is refused. */
const RESTRICTED_VOLUME_TYPES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
/** Sysctls the baseline profile allows (the "safe" set). */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const ALLOWED_SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

/** A container's effective value of a field that may be set on the pod and overridden per container. */
function effective<K extends keyof SecurityContext>(pod: SecurityContext | undefined, container: SecurityContext | undefined, key: K): SecurityContext[K] {
  return container?.[key] !== undefined ? container[key] : pod?.[key];
}

export function podSecurityViolations(template: PodTemplate): Violation[] {
  const { ref, spec } = template;
  const out: Violation[] = [];
  const add = (rule: string, message: string) => out.push(violation(ref, rule, message));
  const pod = spec.securityContext;

  for (const key of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[key] === true) add('pss.hostNamespaces', `spec.${key} is true; remove it (Pod Security baseline forbids sharing the host's namespaces)`);
  }
  for (const volume of spec.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== 'name');
    if (type === 'hostPath') add('pss.hostPath', `volume '${volume.name}' is a hostPath; use an emptyDir or a PersistentVolumeClaim`);
    else if (type && !RESTRICTED_VOLUME_TYPES.has(type)) add('pss.volumeTypes', `volume '${volume.name}' has type ${type}; restricted allows only ${[...RESTRICTED_VOLUME_TYPES].join(', ')}`);
  }
  // Pod-level values a container override does not excuse: the admission check refuses them as such.
  if (pod?.runAsNonRoot === false) add('pss.runAsNonRoot', 'spec.securityContext.runAsNonRoot is false; set it true');
  if (pod?.runAsUser === 0) add('pss.runAsUser', 'spec.securityContext.runAsUser is 0 (root); use the image\'s non-root uid');
  const podSeccomp = pod?.seccompProfile?.type;
  if (podSeccomp !== undefined && podSeccomp !== 'RuntimeDefault' && podSeccomp !== 'Localhost')
    add('pss.seccompProfile', `spec.securityContext.seccompProfile.type is ${podSeccomp}; set RuntimeDefault`);
  for (const sysctl of pod?.sysctls ?? []) {
    if (!SAFE_SYSCTLS.has(sysctl.name)) add('pss.sysctls', `sysctl ${sysctl.name} is not in the safe set; remove it`);
  }

  for (const { container, kind } of allContainers(spec)) {
    const where = `${kind} '${container.name}'`;
    const sc = container.securityContext;
    if (effective(pod, sc, 'windowsOptions')?.hostProcess === true) add('pss.hostProcess', `${where}: windowsOptions.hostProcess is true; remove it`);
    if (sc?.privileged === true) add('pss.privileged', `${where}: securityContext.privileged is true; remove it`);
    for (const port of container.ports ?? []) {
      if (port.hostPort !== undefined && port.hostPort !== 0) add('pss.hostPorts', `${where}: port ${port.containerPort} has hostPort ${port.hostPort}; remove hostPort (reach the pod through a Service)`);
    }
    if (sc?.allowPrivilegeEscalation !== false) add('pss.allowPrivilegeEscalation', `${where}: set securityContext.allowPrivilegeEscalation: false`);
    if (effective(pod, sc, 'runAsNonRoot') !== true) add('pss.runAsNonRoot', `${where}: set runAsNonRoot: true (in the pod's or the container's securityContext, and false in neither)`);
    if (sc?.runAsNonRoot === false) add('pss.runAsNonRoot', `${where}: securityContext.runAsNonRoot is false; remove it`);
    if (effective(pod, sc, 'runAsUser') === 0) add('pss.runAsUser', `${where}: runAsUser is 0 (root); use the image's non-root uid (1000)`);
    const seccomp = effective(pod, sc, 'seccompProfile')?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
      add('pss.seccompProfile', `${where}: seccompProfile.type is ${seccomp ?? 'unset'}; set seccompProfile: {type: RuntimeDefault} on the pod (or every container)`);
    const drop = sc?.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) add('pss.capabilities', `${where}: set securityContext.capabilities.drop: [ALL]`);
    const extra = (sc?.capabilities?.add ?? []).filter((capability) => capability !== 'NET_BIND_SERVICE');
    if (extra.length > 0) add('pss.capabilities', `${where}: capabilities.add has ${extra.join(', ')}; restricted allows only NET_BIND_SERVICE`);
    if (sc?.procMount !== undefined && sc.procMount !== 'Default') add('pss.procMount', `${where}: procMount is ${sc.procMount}; remove it`);
    const apparmor = effective(pod, sc, 'appArmorProfile')?.type;
    if (apparmor === 'Unconfined') add('pss.appArmor', `${where}: appArmorProfile is Unconfined; remove it or use RuntimeDefault`);
    const selinux = effective(pod, sc, 'seLinuxOptions');
    if (selinux && (!ALLOWED_SELINUX_TYPES.has(selinux.type ?? '') || selinux.user !== undefined || selinux.role !== undefined))
      add('pss.seLinux', `${where}: seLinuxOptions sets a type outside the container types, or a user/role; remove it`);
  }
  return out;
}

/**
 * A Namespace the chart renders (the k8s/ render does) carries the label that makes the API
 * server enforce "restricted": then no pod that breaks it can be created there at all.
 */
export function namespaceViolations(objects: K8sObject[]): Violation[] {
  return objects
    .filter((o) => o.kind === 'Namespace' && o.metadata.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted')
    .map((o) =>
      violation(`Namespace/${o.metadata.name}`, 'pss.namespaceLabel', `label the namespace pod-security.kubernetes.io/enforce: restricted (now ${o.metadata.labels?.['pod-security.kubernetes.io/enforce'] ?? 'unset'}) so the API server refuses pods that break it`),
    );
}

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
/** The services' default DB_POOL_SIZE, from their schema. */
const DEFAULT_DB_POOL_SIZE = BaseConfigSchema.properties.DB_POOL_SIZE.default as number;
/** The replica count the project promises (one deleted, one rolling, one still serving). */
export const MIN_REPLICAS = 3;
/** Kubernetes' default grace period when a pod spec sets none. */
const DEFAULT_GRACE_SECONDS = 30;

const intOrUndefined = (value: string | undefined): number | undefined => (value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : undefined);

/** The service's SHUTDOWN_TIMEOUT_MS as the service will read it: the chart's plain value, else the schema default. */
function shutdownTimeoutMs(objects: K8sObject[], container: Container): { ms: number; source: string } | { problem: string } {
  const source = resolveEnv(objects, container).vars.get('SHUTDOWN_TIMEOUT_MS');
  if (!source) return { ms: DEFAULT_SHUTDOWN_TIMEOUT_MS, source: 'the services\' default' };
  if (source.kind !== 'value') return { problem: `SHUTDOWN_TIMEOUT_MS comes from ${source.kind}; set it as a plain value so the grace budget can be checked` };
  const ms = intOrUndefined(source.value);
  return ms === undefined ? { problem: `SHUTDOWN_TIMEOUT_MS is '${source.value}', not a whole number of milliseconds` } : { ms, source: source.from };
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
// The connection budget of the release.

/**
 * Connections one migrate init container holds while it runs: tools/prisma/deploy.mjs opens one
 * to see what is pending, and the Prisma CLI holds one with the advisory migration lock (for
 * ~10 s after it is done, environment.md). Counted once per service: the advisory lock lets one
 * migration run at a time, while the others wait for it on their own connections — which is
 * why it is 2 and not 1.
 */
export const MIGRATE_CONNECTIONS = 2;

export interface PostgresLimits {
  maxConnections: number;
  /** superuser_reserved_connections + reserved_connections: kept free for an operator's session, so the pools must fit without them */
  reserved: number;
  source: string;
}

/** Postgres settings from a server's args (`-c name=value`, `--name=value`) or a postgresql.conf text. */
function setting(texts: string[], name: string): number | undefined {
  for (const text of texts) {
    const match = new RegExp(`(?:^|[\\s-])${name}\\s*=\\s*'?(\\d+)`, 'm').exec(text);
    if (match) return Number(match[1]);
  }
  return undefined;
}

/**
 * The in-chart Postgres' limits, read from its rendered container args/command and any ConfigMap
 * it mounts; the official image's defaults (100, 3 reserved) when nothing is set. Undefined when
 * the release has no Postgres of its own (an external one: pass its limits to connectionBudget).
 */
export function postgresLimits(objects: K8sObject[]): PostgresLimits | undefined {
  const server = podTemplates(objects).find((t) => t.component === 'postgres' && (t.owner.kind === 'StatefulSet' || t.owner.kind === 'Deployment'));
  if (!server) return undefined;
  const texts: string[] = [];
  for (const { container } of allContainers(server.spec)) texts.push([...(container.command ?? []), ...(container.args ?? [])].join(' '));
  const configMaps = (server.spec.volumes ?? []).map((v) => (v.configMap as { name?: string } | undefined)?.name).filter((n): n is string => !!n);
  for (const o of objects) if (o.kind === 'ConfigMap' && configMaps.includes(o.metadata.name)) texts.push(...Object.values((o.data ?? {}) as Record<string, string>));
  const maxConnections = setting(texts, 'max_connections');
  const superuserReserved = setting(texts, 'superuser_reserved_connections') ?? 3;
  const reserved = setting(texts, 'reserved_connections') ?? 0;
  return {
    maxConnections: maxConnections ?? 100,
    reserved: superuserReserved + reserved,
    source: maxConnections === undefined ? `${server.ref} (the image's default max_connections)` : `${server.ref}'s max_connections`,
  };
}

export interface BudgetLine {
  deployment: string;
  pods: number;
  poolSize: number;
  migrate: number;
}
export interface ConnectionBudget {
  lines: BudgetLine[];
  needed: number;
  available: number;
  limits: PostgresLimits;
  violations: Violation[];
}

/** maxSurge as a pod count: an integer, or a percentage of the replicas rounded up (as the Deployment controller does). */
function surgePods(value: number | string | undefined, replicas: number): number | undefined {
  if (value === undefined) return Math.ceil(replicas * 0.25);
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  if (percent) return Math.ceil((replicas * Number(percent[1])) / 100);
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * Σ over service Deployments of (HPA maxReplicas, else replicas, + maxSurge) × DB_POOL_SIZE, plus
 * MIGRATE_CONNECTIONS per service that migrates in an init container, must fit in
 * max_connections minus the reserved slots. `external` gives the limits of a Postgres outside
 * the release; it is required when the release runs none.
 */
export function connectionBudget(objects: K8sObject[], external?: PostgresLimits): ConnectionBudget {
  const violations: Violation[] = [];
  const lines: BudgetLine[] = [];
  for (const template of serviceDeployments(objects)) {
    const container = serviceContainer(template);
    const hpa = hpaFor(objects, template.owner);
    const replicas = (field(template.owner, 'spec', 'replicas') as number | undefined) ?? 1;
    const top = hpa ? Math.max((field(hpa, 'spec', 'maxReplicas') as number | undefined) ?? replicas, replicas) : replicas;
    const surge = surgePods(field(template.owner, 'spec', 'strategy', 'rollingUpdate', 'maxSurge') as number | string | undefined, top);
    const poolText = container ? plainEnv(objects, container, 'DB_POOL_SIZE') : undefined;
    const poolSource = container ? resolveEnv(objects, container).vars.get('DB_POOL_SIZE') : undefined;
    if (poolSource && poolSource.kind !== 'value')
      violations.push(violation(template.ref, 'connectionBudget', `DB_POOL_SIZE comes from ${poolSource.kind}; set it as a plain value so the connection budget can be checked`));
    const poolSize = poolText === undefined ? DEFAULT_DB_POOL_SIZE : Number(poolText);
    if (surge === undefined) violations.push(violation(template.ref, 'connectionBudget', 'strategy.rollingUpdate.maxSurge is neither a number nor a percentage'));
    const migrates = (template.spec.initContainers ?? []).some((c) => c.name === 'migrate' || (c.image ?? '').includes('anypod/migrate'));
    lines.push({ deployment: template.ref, pods: top + (surge ?? 0), poolSize, migrate: migrates ? MIGRATE_CONNECTIONS : 0 });
  }
  const inChart = postgresLimits(objects);
  const limits = inChart ?? external;
  const needed = lines.reduce((sum, line) => sum + line.pods * line.poolSize + line.migrate, 0);
  if (!limits) {
    violations.push(violation('release', 'connectionBudget', 'the release runs no Postgres and no external max_connections was given: pass the external server\'s limits'));
    return { lines, needed, available: 0, limits: { maxConnections: 0, reserved: 0, source: 'none' }, violations };
  }
  const available = limits.maxConnections - limits.reserved;
  if (needed > available) {
    const terms = lines.map((l) => `${l.deployment} ${l.pods} pods × ${l.poolSize}${l.migrate ? ` + ${l.migrate} migrate` : ''}`).join(', ');
    violations.push(
      violation(
        'release',
        'connectionBudget',
        `the services may open ${needed} Postgres connections (${terms}) but ${limits.source} ${limits.maxConnections} minus ${limits.reserved} reserved leaves ${available}: lower dbPoolSize or autoscaling.maxReplicas, or raise postgres.maxConnections`,
      ),
    );
  }
  return { lines, needed, available, limits, violations };
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
