// What `make up` / `make dev` / `make down` read from the environment (the CLI, cli.ts), as one
// TypeBox schema read by the tools' CLI input reader (tools/config/cli-input.ts): a bad value stops
// the command in the foreground with one line naming the variable (exit status 2), before any
// supervisor starts. Every replica's own settings come from k8s/ (manifests.ts); these override
// them for a run.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Type } from '@sinclair/typebox';
import { readInput, UsageError } from '../config/cli-input.ts';
import { DEFAULT_RUN_DIR } from './cluster.ts';
import { DEFAULT_INGRESS_PORT } from './local-env.ts';
import { loadManifests, type ClusterManifests } from './manifests.ts';
import { DEFAULT_OBSERVABILITY_PORTS } from './observability.ts';
import { REPO_ROOT, serviceExists } from './paths.ts';
import type { ObservabilitySettings, Routing, ServiceName } from './types.ts';

const port = (fallback: number, what: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: fallback, description: `a port number (0: a free one) for ${what}` });
const zeroOrOne = (fallback: '0' | '1', description: string) => Type.Union([Type.Literal('0'), Type.Literal('1')], { default: fallback, description });

export const ClusterInputSchema = Type.Object({
  CLUSTER_RUN_DIR: Type.String({ minLength: 1, maxLength: 4096, default: DEFAULT_RUN_DIR, description: 'a directory' }),
  REPLICAS: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'an integer in 1..20 (per service; default from k8s/)' })),
  INGRESS_PORT: port(DEFAULT_INGRESS_PORT, 'the Ingress'),
  ROUTING: Type.Union([Type.Literal('round-robin'), Type.Literal('sticky')], { default: 'round-robin', description: 'round-robin or sticky' }),
  // Unset: what k8s/ gives the replicas (settingsFromEnv fills it in).
  STATE_STORE: Type.Union([Type.Literal('shared'), Type.Literal('memory')], { default: 'shared', description: 'shared or memory' }),
  SERVICES: Type.Optional(Type.String({ pattern: '^[a-z0-9, -]*$', maxLength: 256, description: 'a comma-separated list of services' })),
  // NAME=value pairs: one group per pair, each ending at whitespace or the end, so a bad value fails in linear time.
  REPLICA_ENV: Type.String({ pattern: '^\\s*([A-Z][A-Z0-9_]*=\\S*(\\s+|$))*$', maxLength: 8192, default: '', description: 'NAME=value pairs separated by spaces' }),
  MIGRATE: zeroOrOne('1', '0 or 1 (0: migrations already applied)'),
  WATCH: zeroOrOne('0', '0 or 1 (1: replicas run the sources with node --watch)'),
  OBSERVABILITY: zeroOrOne('1', '0 or 1 (0: no Jaeger and Prometheus)'),
  PROMETHEUS_PORT: port(DEFAULT_OBSERVABILITY_PORTS.prometheus, 'Prometheus'),
  JAEGER_PORT: port(DEFAULT_OBSERVABILITY_PORTS.jaeger, "Jaeger's UI and query API"),
  OTLP_PORT: port(DEFAULT_OBSERVABILITY_PORTS.otlp, "Jaeger's OTLP receiver"),
  SCRAPE_INTERVAL_S: Type.Integer({ minimum: 1, maximum: 60, default: 5, description: 'an integer in 1..60 (seconds)' }),
});

export interface ClusterSettings {
  routing: Routing;
  stateStore: 'shared' | 'memory';
  replicas: number | undefined;
  /** `auth×3 catalog×3 …`, for the log */
  counts: string;
  ingressPort: number;
  services: ServiceName[];
  /** services of k8s/ not started (not selected, or not written yet) */
  skipped: ServiceName[];
  env: Record<string, string>;
  migrate: boolean;
  watch: boolean;
  observability: ObservabilitySettings | undefined;
}

/** The chart's alert rules, when they exist: Prometheus's /alerts then shows them on the local cluster too. */
const RULES = join(REPO_ROOT, 'helm/anypod/rules/anypod.rules.yaml');

/** Where the run's state, logs and nginx files live; read alone, so `down` and `status` never trip over another bad setting. */
export function runDirFrom(env: NodeJS.ProcessEnv): string {
  return resolve(readInput(Type.Pick(ClusterInputSchema, ['CLUSTER_RUN_DIR']), { env }).CLUSTER_RUN_DIR);
}

/** The run's settings; throws a UsageError naming the first bad variable. */
export function settingsFromEnv(env: NodeJS.ProcessEnv, manifests: ClusterManifests = loadManifests()): ClusterSettings {
  const fromManifest = manifests.services[0]?.env.find((e) => e.name === 'STATE_STORE');
  const manifestStore = fromManifest && 'value' in fromManifest ? fromManifest.value : undefined;
  const input = readInput(ClusterInputSchema, { env: { ...env, STATE_STORE: env.STATE_STORE || manifestStore } });
  const known = manifests.services.map((s) => s.name);
  const services = input.SERVICES !== undefined
    ? (input.SERVICES.split(',').map((s) => s.trim()).filter(Boolean) as ServiceName[])
    : known.filter((s) => serviceExists(s));
  for (const s of services) if (!known.includes(s)) throw new UsageError(`SERVICES: ${s} is not a service of k8s/ (${known.join(', ')})`);
  const replicaEnv: Record<string, string> = {};
  for (const pair of input.REPLICA_ENV.split(/\s+/).filter(Boolean)) {
    const at = pair.indexOf('=');
    replicaEnv[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return {
    routing: input.ROUTING,
    stateStore: input.STATE_STORE,
    replicas: input.REPLICAS,
    counts: services.map((s) => `${s}×${input.REPLICAS ?? manifests.service(s).replicas}`).join(' '),
    ingressPort: input.INGRESS_PORT,
    services,
    skipped: known.filter((s) => !services.includes(s)),
    env: replicaEnv,
    migrate: input.MIGRATE === '1',
    watch: input.WATCH === '1',
    observability:
      input.OBSERVABILITY === '0'
        ? undefined
        : {
            prometheusPort: input.PROMETHEUS_PORT,
            jaegerPort: input.JAEGER_PORT,
            otlpPort: input.OTLP_PORT,
            scrapeIntervalSeconds: input.SCRAPE_INTERVAL_S,
            ruleFiles: existsSync(RULES) ? [RULES] : [],
          },
  };
}
