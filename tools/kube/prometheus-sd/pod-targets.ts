// Pods as Prometheus targets, labelled exactly as Prometheus' own Kubernetes discovery (role pod)
// labels them. Debian's Prometheus 2.42 is built without kubernetes_sd_configs (its config loader
// refuses the key: seen here), so the node's Prometheus of tools/kube discovers pods through
// http_sd_configs from this module instead, and the chart's relabelling rules, written for
// kubernetes_sd, apply to these targets unchanged: they only read the __meta_kubernetes_pod_*
// labels, which are the same here.
//
// As in Prometheus' discovery: one target per declared container port (a container with no port
// is one target at the pod IP alone), init containers included and marked, pods without an IP
// left out (they cannot be scraped yet).
import type { V1Container, V1Pod } from '@kubernetes/client-node';

export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Prometheus' label-name sanitising: anything outside [a-zA-Z0-9_] becomes `_`. */
export function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

function mapLabels(prefix: string, map: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(map ?? {})) {
    out[`__meta_kubernetes_pod_${prefix}_${sanitize(key)}`] = value;
    out[`__meta_kubernetes_pod_${prefix}present_${sanitize(key)}`] = 'true';
  }
  return out;
}

function podLabels(pod: V1Pod): Record<string, string> {
  const meta = pod.metadata ?? {};
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  const controller = meta.ownerReferences?.find((o) => o.controller);
  return {
    __meta_kubernetes_namespace: meta.namespace ?? '',
    __meta_kubernetes_pod_name: meta.name ?? '',
    __meta_kubernetes_pod_ip: pod.status?.podIP ?? '',
    __meta_kubernetes_pod_ready: ready === 'True' ? 'true' : ready === 'False' ? 'false' : 'unknown',
    __meta_kubernetes_pod_phase: pod.status?.phase ?? '',
    __meta_kubernetes_pod_node_name: pod.spec?.nodeName ?? '',
    __meta_kubernetes_pod_host_ip: pod.status?.hostIP ?? '',
    __meta_kubernetes_pod_uid: meta.uid ?? '',
    ...(controller ? { __meta_kubernetes_pod_controller_kind: controller.kind, __meta_kubernetes_pod_controller_name: controller.name } : {}),
    ...mapLabels('label', meta.labels),
    ...mapLabels('annotation', meta.annotations),
  };
}

function containerTargets(pod: V1Pod, container: V1Container, init: boolean): TargetGroup[] {
  const ip = pod.status?.podIP ?? '';
  const host = ip.includes(':') ? `[${ip}]` : ip;
  const common = {
    __meta_kubernetes_pod_container_name: container.name,
    __meta_kubernetes_pod_container_image: container.image ?? '',
    __meta_kubernetes_pod_container_init: String(init),
  };
  const ports = container.ports ?? [];
  if (ports.length === 0) return [{ targets: [host], labels: common }];
  return ports.map((port) => ({
    targets: [`${host}:${port.containerPort}`],
    labels: {
      ...common,
      __meta_kubernetes_pod_container_port_name: port.name ?? '',
      __meta_kubernetes_pod_container_port_number: String(port.containerPort),
      __meta_kubernetes_pod_container_port_protocol: port.protocol ?? 'TCP',
    },
  }));
}

/** The http_sd answer for these pods: one group per target, each carrying its pod's labels. */
export function podTargetGroups(pods: readonly V1Pod[]): TargetGroup[] {
  const groups: TargetGroup[] = [];
  const sorted = [...pods].sort((a, b) => `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`));
  for (const pod of sorted) {
    if (!pod.status?.podIP) continue;
    const labels = podLabels(pod);
    const containers = [
      ...(pod.spec?.initContainers ?? []).map((c) => [c, true] as const),
      ...(pod.spec?.containers ?? []).map((c) => [c, false] as const),
    ];
    for (const [container, init] of containers) {
      for (const group of containerTargets(pod, container, init)) groups.push({ targets: group.targets, labels: { ...labels, ...group.labels } });
    }
  }
  return groups;
}
