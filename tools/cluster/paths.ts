// Where things are in the repository: the services' folders, and k8s/ (the manifests the local
// cluster takes its settings from).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceName } from './types.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The manifests rendered from the chart (`make k8s`): the local cluster's source of settings. */
export const K8S_DIR = join(REPO_ROOT, 'k8s');

/** Every service there is, in the order the cluster starts and lists them. */
export const SERVICE_NAMES: readonly ServiceName[] = ['auth', 'catalog', 'cart'];

/** The folder a service's code lives in (services/<name>). */
export function serviceDir(service: ServiceName): string {
  return join(REPO_ROOT, 'services', service);
}

/** True when the service has been written (its process entry exists). */
export function serviceExists(service: ServiceName): boolean {
  return existsSync(join(serviceDir(service), 'src/server.ts'));
}
