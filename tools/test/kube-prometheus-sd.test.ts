// The pod discovery of the one-node cluster's Prometheus (tools/kube/prometheus-sd): pods turned
// into http_sd target groups with the labels Prometheus' own kubernetes_sd (role pod) gives, so
// the chart's relabelling — written for kubernetes_sd — applies unchanged. The label names are
// Prometheus' documented ones (configuration.md, <kubernetes_sd_config>, role pod); the end-to-end
// check that the chart's relabelling then yields namespace/pod/container on real pods is in
// tools/test/kube-cluster.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { withHttpSd } from '../kube/observability.ts';
import { podTargetGroups, sanitize } from '../kube/prometheus-sd/pod-targets.ts';

function pod(name: string, ip: string | undefined, extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    metadata: {
      name,
      namespace: 'anypod',
      uid: `uid-${name}`,
      labels: { 'app.kubernetes.io/name': 'anypod', 'app.kubernetes.io/component': 'cart' },
      annotations: { 'checksum/config': 'abc' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'anypod-cart-5d4', uid: 'rs', controller: true }],
    },
    spec: {
      nodeName: 'anypod-node',
      initContainers: [{ name: 'migrate', image: 'anypod/migrate:0.3.0' }],
      containers: [{ name: 'cart', image: 'anypod/cart:0.3.0', ports: [{ name: 'http', containerPort: 3000, protocol: 'TCP' }] }],
      ...extra,
    },
    status: { podIP: ip, hostIP: '10.244.0.1', phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

describe('pods as Prometheus targets', () => {
  it("labels a pod's port as kubernetes_sd does: pod, container, port, labels and annotations (sanitised, with *present), owner", () => {
    const groups = podTargetGroups([pod('anypod-cart-5d4-abcde', '10.244.0.7')]);
    const http = groups.find((g) => g.labels.__meta_kubernetes_pod_container_name === 'cart');
    expect(http).toEqual({
      targets: ['10.244.0.7:3000'],
      labels: {
        __meta_kubernetes_namespace: 'anypod',
        __meta_kubernetes_pod_name: 'anypod-cart-5d4-abcde',
        __meta_kubernetes_pod_ip: '10.244.0.7',
        __meta_kubernetes_pod_ready: 'true',
        __meta_kubernetes_pod_phase: 'Running',
        __meta_kubernetes_pod_node_name: 'anypod-node',
        __meta_kubernetes_pod_host_ip: '10.244.0.1',
        __meta_kubernetes_pod_uid: 'uid-anypod-cart-5d4-abcde',
        __meta_kubernetes_pod_controller_kind: 'ReplicaSet',
        __meta_kubernetes_pod_controller_name: 'anypod-cart-5d4',
        __meta_kubernetes_pod_label_app_kubernetes_io_name: 'anypod',
        __meta_kubernetes_pod_labelpresent_app_kubernetes_io_name: 'true',
        __meta_kubernetes_pod_label_app_kubernetes_io_component: 'cart',
        __meta_kubernetes_pod_labelpresent_app_kubernetes_io_component: 'true',
        __meta_kubernetes_pod_annotation_checksum_config: 'abc',
        __meta_kubernetes_pod_annotationpresent_checksum_config: 'true',
        __meta_kubernetes_pod_container_name: 'cart',
        __meta_kubernetes_pod_container_image: 'anypod/cart:0.3.0',
        __meta_kubernetes_pod_container_init: 'false',
        __meta_kubernetes_pod_container_port_name: 'http',
        __meta_kubernetes_pod_container_port_number: '3000',
        __meta_kubernetes_pod_container_port_protocol: 'TCP',
      },
    });
    // A container without ports is one target at the pod's IP alone, marked init when it is one.
    const init = groups.find((g) => g.labels.__meta_kubernetes_pod_container_name === 'migrate');
    expect(init?.targets).toEqual(['10.244.0.7']);
    expect(init?.labels.__meta_kubernetes_pod_container_init).toBe('true');
    expect(init?.labels.__meta_kubernetes_pod_container_port_name).toBeUndefined();
    expect(groups).toHaveLength(2);
  });

  it('leaves out pods without an IP and says unready pods are not ready', () => {
    const notReady = pod('anypod-cart-5d4-fghij', '10.244.0.8');
    notReady.status!.conditions = [{ type: 'Ready', status: 'False' }];
    const groups = podTargetGroups([pod('anypod-cart-5d4-pending', undefined), notReady]);
    expect(new Set(groups.map((g) => g.labels.__meta_kubernetes_pod_name))).toEqual(new Set(['anypod-cart-5d4-fghij']));
    expect(groups.every((g) => g.labels.__meta_kubernetes_pod_ready === 'false')).toBe(true);
  });

  it("sanitises label names as Prometheus does: everything outside [a-zA-Z0-9_] becomes '_'", () => {
    expect(sanitize('app.kubernetes.io/name')).toBe('app_kubernetes_io_name');
    expect(sanitize('a-b.c/d_e9')).toBe('a_b_c_d_e9');
  });
});

describe("the chart's scrape config on http_sd", () => {
  it('swaps kubernetes_sd for http_sd and keeps its namespace filter as the first relabelling rule', () => {
    const [job] = withHttpSd(
      [{ job_name: 'anypod', kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: ['anypod'] } }], relabel_configs: [{ source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' }] }],
      'http://127.0.0.1:1/targets',
    );
    expect(job).toEqual({
      job_name: 'anypod',
      http_sd_configs: [{ url: 'http://127.0.0.1:1/targets', refresh_interval: '5s' }],
      relabel_configs: [
        { source_labels: ['__meta_kubernetes_namespace'], regex: 'anypod', action: 'keep' },
        { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      ],
    });
  });

  it('refuses a discovery it cannot stand in for (another role)', () => {
    expect(() => withHttpSd([{ job_name: 'x', kubernetes_sd_configs: [{ role: 'endpoints' }] }], 'http://x')).toThrow(/role pod/);
  });
});
