// The local cluster runner: N replicas per service as processes behind nginx, deleted and
// replaced like Kubernetes would. See cluster.ts for the behaviour, cli.ts for `make up`.
export { startCluster, DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, DEFAULT_RUN_DIR } from './cluster.ts';
export { checkServices, migrateServices } from './prepare.ts';
export { loadManifests, ManifestError, type ClusterManifests, type ServiceManifest, type ManifestEnv } from './manifests.ts';
export { replicaEnv, DEFAULT_INGRESS_PORT } from './local-env.ts';
export { Replica, newReplicaName } from './replica.ts';
export { renderRouterConfig, renderEdgeConfig } from './nginx-config.ts';
export type * from './types.ts';
