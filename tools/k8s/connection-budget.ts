// The connection budget of a release: every Postgres connection the services' pools (and their
// migrations) may hold at once, against the server's max_connections. Part of the policy
// (policy.ts); the chart checks the same at render time from its values, this reads the render.
import { BaseConfigSchema } from '@anypod/platform/config';
import type { K8sObject } from './render.ts';
import { violation, type Violation } from './violations.ts';
import { allContainers, field, hpaFor, plainEnv, podTemplates, resolveEnv, serviceContainer, serviceDeployments } from './workloads.ts';

/** The services' default DB_POOL_SIZE, from their schema: what applies when the chart sets none. */
const DEFAULT_DB_POOL_SIZE = BaseConfigSchema.properties.DB_POOL_SIZE.default as number;


/**
 * Connections one migrate init container holds while it runs: tools/prisma/deploy.mjs opens one
 * to see what is pending, and the Prisma CLI holds one with the advisory migration lock (for
 * ~10 s after it is done, environment.md). Counted once per service: the advisory lock lets one
 * migration run at a time, while the others wait for it on their own connections — which is
 * why it is 2 and not 1.
 */
export const MIGRATE_CONNECTIONS = 2;

export interface PostgresLimits {
  maxConnections: number;
  /** superuser_reserved_connections + reserved_connections: kept free for an operator's session, so the pools must fit without them */
  reserved: number;
  source: string;
}

/** Postgres settings from a server's args (`-c name=value`, `--name=value`) or a postgresql.conf text. */
function setting(texts: string[], name: string): number | undefined {
  for (const text of texts) {
    const match = new RegExp(`(?:^|[\\s-])${name}\\s*=\\s*'?(\\d+)`, 'm').exec(text);
    if (match) return Number(match[1]);
  }
  return undefined;
}

/**
 * The in-chart Postgres' limits, read from its rendered container args/command and any ConfigMap
 * it mounts; the official image's defaults (100, 3 reserved) when nothing is set. Undefined when
 * the release has no Postgres of its own (an external one: pass its limits to connectionBudget).
 */
export function postgresLimits(objects: K8sObject[]): PostgresLimits | undefined {
  const server = podTemplates(objects).find((t) => t.component === 'postgres' && (t.owner.kind === 'StatefulSet' || t.owner.kind === 'Deployment'));
  if (!server) return undefined;
  const texts: string[] = [];
  for (const { container } of allContainers(server.spec)) texts.push([...(container.command ?? []), ...(container.args ?? [])].join(' '));
  const configMaps = (server.spec.volumes ?? []).map((v) => (v.configMap as { name?: string } | undefined)?.name).filter((n): n is string => !!n);
  for (const o of objects) if (o.kind === 'ConfigMap' && configMaps.includes(o.metadata.name)) texts.push(...Object.values((o.data ?? {}) as Record<string, string>));
  const maxConnections = setting(texts, 'max_connections');
  const superuserReserved = setting(texts, 'superuser_reserved_connections') ?? 3;
  const reserved = setting(texts, 'reserved_connections') ?? 0;
  return {
    maxConnections: maxConnections ?? 100,
    reserved: superuserReserved + reserved,
    source: maxConnections === undefined ? `${server.ref} (the image's default max_connections)` : `${server.ref}'s max_connections`,
  };
}

export interface BudgetLine {
  deployment: string;
  pods: number;
  poolSize: number;
  migrate: number;
}
export interface ConnectionBudget {
  lines: BudgetLine[];
  needed: number;
  available: number;
  limits: PostgresLimits;
  violations: Violation[];
}

/** maxSurge as a pod count: an integer, or a percentage of the replicas rounded up (as the Deployment controller does). */
function surgePods(value: number | string | undefined, replicas: number): number | undefined {
  if (value === undefined) return Math.ceil(replicas * 0.25);
  if (typeof value === 'number') return value;
  const percent = /^(\d+)%$/.exec(value);
  if (percent) return Math.ceil((replicas * Number(percent[1])) / 100);
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * Σ over service Deployments of (HPA maxReplicas, else replicas, + maxSurge) × DB_POOL_SIZE, plus
 * MIGRATE_CONNECTIONS per service that migrates in an init container, must fit in
 * max_connections minus the reserved slots. `external` gives the limits of a Postgres outside
 * the release; it is required when the release runs none.
 */
export function connectionBudget(objects: K8sObject[], external?: PostgresLimits): ConnectionBudget {
  const violations: Violation[] = [];
  const lines: BudgetLine[] = [];
  for (const template of serviceDeployments(objects)) {
    const container = serviceContainer(template);
    const hpa = hpaFor(objects, template.owner);
    const replicas = (field(template.owner, 'spec', 'replicas') as number | undefined) ?? 1;
    const top = hpa ? Math.max((field(hpa, 'spec', 'maxReplicas') as number | undefined) ?? replicas, replicas) : replicas;
    const surge = surgePods(field(template.owner, 'spec', 'strategy', 'rollingUpdate', 'maxSurge') as number | string | undefined, top);
    const poolText = container ? plainEnv(objects, container, 'DB_POOL_SIZE') : undefined;
    const poolSource = container ? resolveEnv(objects, container).vars.get('DB_POOL_SIZE') : undefined;
    if (poolSource && poolSource.kind !== 'value')
      violations.push(violation(template.ref, 'connectionBudget', `DB_POOL_SIZE comes from ${poolSource.kind}; set it as a plain value so the connection budget can be checked`));
    const poolSize = poolText === undefined ? DEFAULT_DB_POOL_SIZE : Number(poolText);
    if (surge === undefined) violations.push(violation(template.ref, 'connectionBudget', 'strategy.rollingUpdate.maxSurge is neither a number nor a percentage'));
    const migrates = (template.spec.initContainers ?? []).some((c) => c.name === 'migrate' || (c.image ?? '').includes('anypod/migrate'));
    lines.push({ deployment: template.ref, pods: top + (surge ?? 0), poolSize, migrate: migrates ? MIGRATE_CONNECTIONS : 0 });
  }
  const inChart = postgresLimits(objects);
  const limits = inChart ?? external;
  const needed = lines.reduce((sum, line) => sum + line.pods * line.poolSize + line.migrate, 0);
  if (!limits) {
    violations.push(violation('release', 'connectionBudget', 'the release runs no Postgres and no external max_connections was given: pass the external server\'s limits'));
    return { lines, needed, available: 0, limits: { maxConnections: 0, reserved: 0, source: 'none' }, violations };
  }
  const available = limits.maxConnections - limits.reserved;
  if (needed > available) {
    const terms = lines.map((l) => `${l.deployment} ${l.pods} pods × ${l.poolSize}${l.migrate ? ` + ${l.migrate} migrate` : ''}`).join(', ');
    violations.push(
      violation(
        'release',
        'connectionBudget',
        `the services may open ${needed} Postgres connections (${terms}) but ${limits.source} ${limits.maxConnections} minus ${limits.reserved} reserved leaves ${available}: lower dbPoolSize or autoscaling.maxReplicas, or raise postgres.maxConnections`,
      ),
    );
  }
  return { lines, needed, available, limits, violations };
}

