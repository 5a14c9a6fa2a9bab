// The local cluster runner: N replicas per service as processes behind nginx, deleted and
// replaced like Kubernetes would. See cluster.ts for the behaviour, cli.ts for `make up`.
export { startCluster, DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, DEFAULT_RUN_DIR } from './cluster.ts';
export { checkServices, migrateServices } from './prepare.ts';
export { loadTopology, type Topology, type ServiceTopology } from './topology.ts';
export { Replica, newReplicaName } from './replica.ts';
export { renderRouterConfig, renderEdgeConfig } from './nginx.ts';
export type * from './types.ts';
