// Pod Security "restricted" (which includes "baseline") as the admission controller checks it
// (kubernetes.io/docs/concepts/security/pod-security-standards), over one rendered pod template;
// and the Namespace label that makes the API server enforce it. Part of the policy (policy.ts).
import type { K8sObject } from './render.ts';
import { violation, type Violation } from './violations.ts';
import { allContainers, type PodTemplate, type SecurityContext } from './workloads.ts';


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

