// A replica's environment: the container's env from k8s/ (manifests.ts), then what must differ
// when every replica is a process on one machine. Each local difference is listed here, once,
// with its reason; everything else is the chart's.
import { hostname } from 'node:os';
import type { ClusterSecrets } from './secrets.ts';
import type { ServiceManifest } from './manifests.ts';

/** The local Ingress's port on 127.0.0.1. Not in the chart: there the controller owns the port. */
export const DEFAULT_INGRESS_PORT = 8080;

export interface LocalContext {
  /** the replica's name: its pod name */
  replica: string;
  /** the replica's own port (every replica is a process on 127.0.0.1, so each needs its own) */
  port: number;
  /** http://127.0.0.1:<port> of the local Ingress */
  ingressUrl: string;
  databaseUrl: string;
  redisUrl: string;
  secrets: ClusterSecrets;
  /** the runner's own environment (PATH, HOME, telemetry settings) */
  runner: NodeJS.ProcessEnv;
  /** Jaeger's OTLP receiver, when the cluster runs with its observability stack */
  otlpUrl?: string;
}

/**
 * In-cluster addresses, replaced where the manifest sets the variable: a Service name such as
 * anypod-catalog resolves nowhere on this machine. Services reach each other through the local
 * Ingress, as they would through ClusterIP Services.
 */
function addresses(ctx: LocalContext): Record<string, string> {
  return {
    DATABASE_URL: ctx.databaseUrl,
    REDIS_URL: ctx.redisUrl,
    AUTH_JWKS_URL: `${ctx.ingressUrl}/auth/.well-known/jwks.json`,
    CATALOG_URL: ctx.ingressUrl,
  };
}

/**
 * Values the manifest takes from Secrets (valueFrom.secretKeyRef), by variable name. The chart's
 * Secrets are never in k8s/; the cluster makes its own per run (secrets.ts). The addresses are
 * here too: a database URL carries its password, so the chart may keep it in a Secret.
 */
function secretValues(ctx: LocalContext): Record<string, string> {
  return { JWT_PRIVATE_KEY: ctx.secrets.jwtPrivateKey, REFRESH_TOKEN_SECRET: ctx.secrets.refreshTokenSecret, ...addresses(ctx) };
}

/** The downward API (valueFrom.fieldRef) for a process: a replica is its own pod on this host. */
function fieldValue(fieldPath: string, manifest: ServiceManifest, ctx: LocalContext): string | undefined {
  switch (fieldPath) {
    case 'metadata.name':
      return ctx.replica;
    case 'metadata.namespace':
      return manifest.namespace;
    case 'status.podIP':
    case 'status.hostIP':
      return '127.0.0.1';
    case 'spec.nodeName':
      return hostname();
    default:
      return undefined;
  }
}

/**
 * Always true of a local replica, whatever the manifest says. COOKIE_SECURE=false: the local
 * Ingress is plain HTTP, and a Secure cookie would never be sent back over it. (A run's own
 * variables still win over it; PORT, HOST and HOSTNAME below win over everything.)
 */
const LOCAL_FACTS: Record<string, string> = { COOKIE_SECURE: 'false' };

/** What the runner passes through from its own environment: local paths, telemetry to the local collector, time zone, locale. */
function passthrough(runner: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = { PATH: runner.PATH ?? '/usr/bin:/bin', HOME: runner.HOME ?? '/tmp' };
  for (const [key, value] of Object.entries(runner)) {
    if (value !== undefined && (/^OTEL_/.test(key) || key === 'TZ' || key === 'LANG' || key === 'NODE_EXTRA_CA_CERTS')) env[key] = value;
  }
  return env;
}

/** Kubernetes' $(VAR) expansion in env values: earlier variables of the container; $$ is a literal $. */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => (name === undefined ? '$' : (env[name] ?? whole)));
}

/** Where an env value still points at a Service of k8s/: no override replaced it, so it resolves nowhere here. */
function inClusterHost(value: string, serviceNames: readonly string[]): string | undefined {
  for (const match of value.matchAll(/[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?([A-Za-z0-9.-]+)/g)) {
    const host = (match[1] as string).toLowerCase();
    if (serviceNames.includes(host.split('.')[0] as string) || /\.svc(\.cluster\.local)?$/.test(host)) return host;
  }
  return undefined;
}

/**
 * The replica's whole environment (nothing is inherited implicitly): the manifest's env with
 * local values where listed above, then `run` (a run's extra variables: the proof's, a test's,
 * REPLICA_ENV), then the identity. Throws when the manifest asks for something the local cluster
 * cannot provide (a Secret it does not know, a field of the downward API it has no value for, a
 * value still pointing at an in-cluster Service).
 */
export function replicaEnv(manifest: ServiceManifest, ctx: LocalContext, run: Record<string, string>, serviceNames: readonly string[]): Record<string, string> {
  const local = addresses(ctx);
  const secrets = secretValues(ctx);
  const fromManifest: Record<string, string> = {};
  const plain: string[] = [];
  const problem = (name: string, what: string) => new Error(`${manifest.source}: env ${name} ${what}; tools/cluster/local-env.ts lists what the local cluster provides`);
  for (const e of manifest.env) {
    if ('value' in e) {
      if (Object.hasOwn(local, e.name)) fromManifest[e.name] = local[e.name] as string;
      else {
        fromManifest[e.name] = expand(e.value, fromManifest);
        plain.push(e.name);
      }
    } else if ('fieldPath' in e) {
      const value = fieldValue(e.fieldPath, manifest, ctx);
      if (value === undefined) throw problem(e.name, `comes from the downward API field ${e.fieldPath}, which has no local value`);
      fromManifest[e.name] = value;
    } else {
      const value = secrets[e.name];
      if (value !== undefined) fromManifest[e.name] = value;
      else if (!e.secret.optional) throw problem(e.name, `comes from Secret ${e.secret.name} key ${e.secret.key}, which the local cluster does not make`);
    }
  }
  const env: Record<string, string> = {
    ...fromManifest,
    ...passthrough(ctx.runner),
    // Traces to the cluster's own Jaeger (over a collector the runner's OTEL_* may name): the
    // chart leaves the endpoint to the user; locally the stack is the collector.
    ...(ctx.otlpUrl ? { OTEL_EXPORTER_OTLP_ENDPOINT: ctx.otlpUrl } : {}),
    ...LOCAL_FACTS,
    ...run,
    // A replica's identity: each listens on its own port, on loopback only (nothing here may be
    // reached from outside; the Ingress is on 127.0.0.1 too), and Kubernetes sets HOSTNAME to
    // the pod name.
    PORT: String(ctx.port),
    HOST: '127.0.0.1',
    HOSTNAME: ctx.replica,
  };
  for (const name of plain) {
    const host = env[name] === fromManifest[name] ? inClusterHost(env[name] as string, serviceNames) : undefined;
    if (host) throw problem(name, `points at ${host}, an in-cluster address, and has no local value`);
  }
  return env;
}
