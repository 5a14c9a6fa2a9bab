// deploy/topology.json: which services exist, where the Ingress routes them, how many replicas
// run and how they stop. Read and checked here so a typo fails at start-up with the field's name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.ts';
import type { ServiceName } from './types.ts';

export { REPO_ROOT, serviceDir, serviceExists } from './paths.ts';

export interface ServiceTopology {
  name: ServiceName;
  /** URL prefix on the Ingress, e.g. /auth (the service serves its routes under it too) */
  prefix: string;
  replicas: number;
  containerPort: number;
  /** the pre-stop sleep: the replica keeps serving this long after its endpoint is removed */
  preStopSeconds: number;
  /** SIGKILL this long after the deletion started (the pre-stop sleep counts, like Kubernetes) */
  terminationGracePeriodSeconds: number;
}

export interface Topology {
  ingress: { port: number };
  services: ServiceTopology[];
}

const SERVICE_NAMES: readonly ServiceName[] = ['auth', 'catalog', 'cart'];

function fail(path: string, field: string, expected: string): never {
  throw new Error(`${path}: ${field} must be ${expected}`);
}

function int(value: unknown, path: string, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(path, field, `an integer in ${min}..${max}`);
  return value;
}

export function loadTopology(path = join(REPO_ROOT, 'deploy/topology.json')): Topology {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { ingress?: { port?: unknown }; services?: unknown };
  if (!Array.isArray(raw.services) || raw.services.length === 0) fail(path, 'services', 'a non-empty array');
  const services = raw.services.map((entry: Record<string, unknown>, i: number): ServiceTopology => {
    const at = `services[${i}]`;
    const name = entry.name as ServiceName;
    if (!SERVICE_NAMES.includes(name)) fail(path, `${at}.name`, `one of ${SERVICE_NAMES.join(', ')}`);
    const prefix = entry.prefix;
    if (typeof prefix !== 'string' || !/^\/[a-z0-9-]+$/.test(prefix)) fail(path, `${at}.prefix`, 'a path like /auth');
    const preStopSeconds = int(entry.preStopSeconds, path, `${at}.preStopSeconds`, 0, 120);
    const terminationGracePeriodSeconds = int(entry.terminationGracePeriodSeconds, path, `${at}.terminationGracePeriodSeconds`, 1, 600);
    if (terminationGracePeriodSeconds <= preStopSeconds) fail(path, `${at}.terminationGracePeriodSeconds`, 'greater than preStopSeconds');
    return {
      name,
      prefix,
      replicas: int(entry.replicas, path, `${at}.replicas`, 1, 20),
      containerPort: int(entry.containerPort, path, `${at}.containerPort`, 1, 65535),
      preStopSeconds,
      terminationGracePeriodSeconds,
    };
  });
  return { ingress: { port: int(raw.ingress?.port, path, 'ingress.port', 0, 65535) }, services };
}
