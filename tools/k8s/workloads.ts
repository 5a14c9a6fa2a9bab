// Reading rendered workloads: the pod templates of every kind that runs pods, their containers,
// each container's environment as the kubelet would assemble it, and the HPA that scales a
// Deployment. Shared by the policy and contract checks (tools/k8s/policy.ts, contract.ts), which
// stay pure functions over the objects tools/k8s/render.ts parses.
import { SERVICE_NAMES } from '../cluster/paths.ts';
import type { ServiceName } from '../cluster/types.ts';
import type { K8sObject } from './render.ts';

/** The services the chart deploys, by their `app.kubernetes.io/component` label. */
export const SERVICE_COMPONENTS = SERVICE_NAMES;
export type ServiceComponent = ServiceName;

// Only the fields the checks read are typed; everything else stays unknown.
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath?: string };
    secretKeyRef?: { name?: string; key?: string; optional?: boolean };
    configMapKeyRef?: { name?: string; key?: string; optional?: boolean };
    resourceFieldRef?: { resource?: string };
  };
}
export interface Probe {
  httpGet?: { path?: string; port?: number | string; scheme?: string };
  tcpSocket?: unknown;
  exec?: unknown;
  grpc?: unknown;
  [field: string]: unknown;
}
export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type?: string; localhostProfile?: string };
  seLinuxOptions?: { type?: string; user?: string; role?: string };
  appArmorProfile?: { type?: string };
  windowsOptions?: { hostProcess?: boolean };
  sysctls?: Array<{ name: string; value: string }>;
  [field: string]: unknown;
}
export interface Container {
  name: string;
  image?: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  envFrom?: Array<{ prefix?: string; configMapRef?: { name?: string; optional?: boolean }; secretRef?: { name?: string; optional?: boolean } }>;
  ports?: Array<{ name?: string; containerPort: number; hostPort?: number; protocol?: string }>;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: SecurityContext;
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds?: number }; exec?: unknown; httpGet?: unknown } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  securityContext?: SecurityContext & { fsGroup?: number };
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  hostUsers?: boolean;
  volumes?: Array<{ name: string; [type: string]: unknown }>;
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  [field: string]: unknown;
}

/** One pod template in the render: the object that holds it and the pod spec. */
export interface PodTemplate {
  owner: K8sObject;
  /** "Deployment/anypod-auth": how messages name the object */
  ref: string;
  component: string | undefined;
  spec: PodSpec;
}

export const refOf = (object: K8sObject): string => `${object.kind}/${object.metadata.name}`;
export const componentOf = (object: K8sObject): string | undefined => object.metadata.labels?.['app.kubernetes.io/component'];

const get = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), value);

/** Where each kind keeps its pod spec. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Every pod template in the render (Deployments, StatefulSets, Jobs, test Pods, ...). */
export function podTemplates(objects: K8sObject[]): PodTemplate[] {
  const templates: PodTemplate[] = [];
  for (const owner of objects) {
    const path = POD_SPEC_PATHS[owner.kind];
    if (!path) continue;
    const spec = get(owner, ...path) as PodSpec | undefined;
    // A workload without a pod spec is a schema error, reported by kubectl-validate; here it
    // becomes an empty pod so every rule still names the object.
    templates.push({ owner, ref: refOf(owner), component: componentOf(owner), spec: spec ?? { containers: [] } });
  }
  return templates;
}

/** Every container of a pod, init containers first (they run first). */
export function allContainers(spec: PodSpec): Array<{ container: Container; kind: 'initContainer' | 'container' | 'ephemeralContainer' }> {
  return [
    ...(spec.initContainers ?? []).map((container) => ({ container, kind: 'initContainer' as const })),
    ...(spec.containers ?? []).map((container) => ({ container, kind: 'container' as const })),
    ...(spec.ephemeralContainers ?? []).map((container) => ({ container, kind: 'ephemeralContainer' as const })),
  ];
}

/** The service Deployments (component auth, catalog or cart). */
export function serviceDeployments(objects: K8sObject[]): PodTemplate[] {
  return podTemplates(objects).filter((t) => t.owner.kind === 'Deployment' && (SERVICE_COMPONENTS as readonly string[]).includes(t.component ?? ''));
}

/** The container that runs the service: the one named after the component, else the only one. */
export function serviceContainer(template: PodTemplate): Container | undefined {
  const containers = template.spec.containers ?? [];
  return containers.find((c) => c.name === template.component) ?? (containers.length === 1 ? containers[0] : undefined);
}

/** The HorizontalPodAutoscaler whose scaleTargetRef names this Deployment, if any. */
export function hpaFor(objects: K8sObject[], deployment: K8sObject): K8sObject | undefined {
  return objects.find((o) => {
    if (o.kind !== 'HorizontalPodAutoscaler') return false;
    const target = get(o, 'spec', 'scaleTargetRef') as { kind?: string; name?: string } | undefined;
    return target?.kind === 'Deployment' && target.name === deployment.metadata.name;
  });
}

/** A resolved environment variable: its literal value, or where it comes from. */
export type EnvSource =
  | { kind: 'value'; value: string; from: string }
  | { kind: 'fieldRef'; fieldPath: string; from: string }
  | { kind: 'secret'; name: string; key: string; from: string; optional: boolean }
  | { kind: 'configMapKey'; name: string; key: string; from: string; optional: boolean }
  | { kind: 'resourceFieldRef'; resource: string; from: string };

export interface ResolvedEnv {
  vars: Map<string, EnvSource>;
  /** envFrom sources whose keys cannot be known from the render (a Secret made outside the chart) */
  opaque: string[];
}

const dataOf = (objects: K8sObject[], kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> | undefined => {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!object) return undefined;
  if (kind === 'Secret') {
    const stringData = (object.stringData ?? {}) as Record<string, string>;
    const data = Object.fromEntries(Object.entries((object.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    return { ...data, ...stringData };
  }
  return (object.data ?? {}) as Record<string, string>;
};

/**
 * A container's environment as the kubelet assembles it: envFrom sources in order, then `env`
 * entries (which win). ConfigMaps and Secrets rendered by the chart are looked up; a value kept
 * in a ConfigMap counts as a plain value, so it is checked like one.
 */
export function resolveEnv(objects: K8sObject[], container: Container): ResolvedEnv {
  const vars = new Map<string, EnvSource>();
  const opaque: string[] = [];
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? '';
    if (source.configMapRef?.name) {
      const data = dataOf(objects, 'ConfigMap', source.configMapRef.name);
      if (!data) opaque.push(`ConfigMap/${source.configMapRef.name}`);
      for (const [key, value] of Object.entries(data ?? {})) vars.set(prefix + key, { kind: 'value', value: String(value), from: `envFrom ConfigMap/${source.configMapRef.name}` });
    }
    if (source.secretRef?.name) {
      const data = dataOf(objects, 'Secret', source.secretRef.name);
      if (!data) opaque.push(`Secret/${source.secretRef.name}`);
      for (const key of Object.keys(data ?? {}))
        vars.set(prefix + key, { kind: 'secret', name: source.secretRef.name, key, from: `envFrom Secret/${source.secretRef.name}`, optional: source.secretRef.optional === true });
    }
  }
  for (const entry of container.env ?? []) {
    const from = 'env';
    const valueFrom = entry.valueFrom;
    if (valueFrom?.fieldRef) vars.set(entry.name, { kind: 'fieldRef', fieldPath: valueFrom.fieldRef.fieldPath ?? '', from });
    else if (valueFrom?.secretKeyRef)
      vars.set(entry.name, { kind: 'secret', name: valueFrom.secretKeyRef.name ?? '', key: valueFrom.secretKeyRef.key ?? '', from, optional: valueFrom.secretKeyRef.optional === true });
    else if (valueFrom?.configMapKeyRef) {
      const { name = '', key = '', optional = false } = valueFrom.configMapKeyRef;
      const data = dataOf(objects, 'ConfigMap', name);
      // A rendered ConfigMap's value is as good as a literal: check it like one.
      if (data && key in data) vars.set(entry.name, { kind: 'value', value: String(data[key]), from: `ConfigMap/${name} key ${key}` });
      else vars.set(entry.name, { kind: 'configMapKey', name, key, from, optional });
    } else if (valueFrom?.resourceFieldRef) vars.set(entry.name, { kind: 'resourceFieldRef', resource: valueFrom.resourceFieldRef.resource ?? '', from });
    else vars.set(entry.name, { kind: 'value', value: entry.value ?? '', from });
  }
  return { vars, opaque };
}

/** Services whose selector selects this Deployment's pods. */
export function servicesSelecting(objects: K8sObject[], template: PodTemplate): K8sObject[] {
  const labels = (get(template.owner, 'spec', 'template', 'metadata', 'labels') ?? {}) as Record<string, string>;
  return objects.filter((o) => {
    if (o.kind !== 'Service') return false;
    const selector = get(o, 'spec', 'selector') as Record<string, string> | undefined;
    return !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
  });
}

/** A literal env value of a container, or undefined when it is not set as a plain value. */
export function plainEnv(objects: K8sObject[], container: Container, name: string): string | undefined {
  const source = resolveEnv(objects, container).vars.get(name);
  return source?.kind === 'value' ? source.value : undefined;
}

/** The objects' field at a path, for checks that read a few nested fields. */
export { get as field };
