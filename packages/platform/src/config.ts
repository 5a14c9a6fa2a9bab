// Configuration from the environment, validated by a TypeBox schema. A bad or missing variable
// stops the process with one line that names it, instead of a stack trace minutes later.
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

// Every variable carries a `description` (what a reader of .env.example needs, also used in the
// error for a bad value) and a `default` or an `examples` value where one makes sense: the root
// .env.example is generated from these schemas (tools/config), and tests fail when it drifts.

/** Variables every service reads. Services extend this with their own. */
export const BaseConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 3000, description: 'HTTP port' }),
  HOST: Type.String({ minLength: 1, maxLength: 255, default: '0.0.0.0', description: 'bind address; probes need 0.0.0.0 in a pod' }),
  POD_NAME: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: 'replica name for X-Served-By and traces; falls back to HOSTNAME' })),
  HOSTNAME: Type.Optional(Type.String({ maxLength: 253, description: 'set by Kubernetes to the pod name; used when POD_NAME is not' })),
  // Read by the telemetry bootstrap (telemetry.ts), which starts before the configuration is
  // loaded; declared here so a bad value stops the process by name and .env.example lists it.
  POD_NAMESPACE: Type.Optional(
    Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63, description: "the pod's namespace (the chart sets it from the downward API): k8s.namespace.name on every span" }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'fatal, error, warn, info, debug, trace or silent' },
  ),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://', maxLength: 2048, description: 'a postgresql:// URL', examples: ['postgresql://anypod:anypod-local-only@127.0.0.1:55432/anypod'] }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', maxLength: 2048, description: 'a redis:// URL', examples: ['redis://127.0.0.1:56379'] }),
  CORS_ORIGINS: Type.String({ default: '', maxLength: 4096, description: 'comma-separated allowed origins; empty = no cross-origin access' }),
  SHUTDOWN_DELAY_MS: Type.Integer({ minimum: 0, maximum: 120_000, default: 0, description: 'keep serving this long after SIGTERM (only where no pre-stop hook exists)' }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 300_000, default: 20_000, description: 'force exit if the delay and draining take longer, counted from SIGTERM' }),
  // Off only to measure what the request metrics cost (make bench): a replica without them is
  // invisible to the dashboards and alerts, which read /metrics.
  METRICS_ENABLED: Type.Boolean({ default: true, description: 'true or false: serve /metrics and time every request for it (false only to measure their cost)' }),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'Postgres connections per replica' }),
  STATE_STORE: Type.Union([Type.Literal('shared'), Type.Literal('memory')], {
    default: 'shared',
    description: "'memory' keeps state in the process: a deliberately stateful DEMONSTRATION mode",
  }),
});
export type BaseConfig = Static<typeof BaseConfigSchema>;

/** What every service that signs or checks access tokens agrees on. */
export const TokenClaimsConfigSchema = Type.Object({
  JWT_ISSUER: Type.String({ minLength: 1, maxLength: 256, default: 'anypod-auth', description: "access tokens' iss claim (auth signs it, every service checks it)" }),
  JWT_AUDIENCE: Type.String({ minLength: 1, maxLength: 256, default: 'anypod', description: "access tokens' aud claim (auth signs it, every service checks it)" }),
});

/** What a service that verifies access tokens itself (every one but auth) reads. */
export const TokenVerifierConfigSchema = Type.Composite([
  TokenClaimsConfigSchema,
  Type.Object({
    AUTH_JWKS_URL: Type.String({
      pattern: '^https?://',
      maxLength: 2048,
      description: "auth's public keys, fetched once and cached by kid (in Kubernetes: http://auth:3000/auth/.well-known/jwks.json)",
      examples: ['http://127.0.0.1:8080/auth/.well-known/jwks.json'],
    }),
  }),
]);
export type TokenVerifierConfig = Static<typeof TokenVerifierConfigSchema>;

/** A rule across variables: the one-line problem, naming them, or undefined when it holds. */
export type ConfigRule<C> = (config: C) => string | undefined;

/** A service's configuration as data: what it reads, and the rules across variables it checks at start-up. */
export interface ServiceConfig<T extends TObject = TObject> {
  service: string;
  schema: T;
  rules: ReadonlyArray<ConfigRule<Static<T>>>;
}

/** Rules every service checks. */
const BASE_RULES: ReadonlyArray<ConfigRule<BaseConfig>> = [
  (c) =>
    c.SHUTDOWN_DELAY_MS < c.SHUTDOWN_TIMEOUT_MS
      ? undefined
      : `SHUTDOWN_DELAY_MS (${c.SHUTDOWN_DELAY_MS}) must be shorter than SHUTDOWN_TIMEOUT_MS (${c.SHUTDOWN_TIMEOUT_MS}), which counts from SIGTERM: the replica would be forced out before it drained`,
];

export function defineServiceConfig<T extends TObject>(service: string, schema: T, rules: ReadonlyArray<ConfigRule<Static<T>>> = []): ServiceConfig<T> {
  return { service, schema, rules: [...(BASE_RULES as ReadonlyArray<ConfigRule<Static<T>>>), ...rules] };
}

/**
 * Reads a service's configuration from `env`: applies defaults, converts strings to
 * numbers/booleans, checks the rules across variables, and throws a ConfigError naming the first
 * problem. Empty strings count as unset.
 */
export function loadConfig<T extends TObject>(config: ServiceConfig<T>, env: NodeJS.ProcessEnv = process.env): Static<T> {
  const values = readSchema(config.schema, env);
  for (const rule of config.rules) {
    const problem = rule(values);
    if (problem) throw new ConfigError(problem);
  }
  return values;
}

function readSchema<T extends TObject>(schema: T, env: NodeJS.ProcessEnv): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const candidate = Value.Convert(schema, Value.Default(schema, raw));
  const first = Value.Errors(schema, candidate).First();
  if (first) {
    const name = first.path.replace(/^\//, '').split('/')[0] || '(config)';
    const property = schema.properties[name] as { description?: string } | undefined;
    const expected = property?.description ? ` (expected ${property.description})` : '';
    const problem = raw[name] === undefined ? 'is required but not set' : `is invalid: ${first.message}`;
    throw new ConfigError(`${name} ${problem}${expected}`);
  }
  return candidate as Static<T>;
}

/** The replica name reported in X-Served-By and on every span. */
export function podName(config: Pick<BaseConfig, 'POD_NAME' | 'HOSTNAME'>): string {
  return config.POD_NAME ?? config.HOSTNAME ?? 'local';
}

/** Loads config for a process entry point; on error prints one line and exits 78. */
export function loadConfigOrExit<T extends TObject>(config: ServiceConfig<T>): Static<T> {
  try {
    return loadConfig(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${config.service}: configuration error: ${error.message}\n`);
      process.exit(78); // EX_CONFIG from sysexits.h
    }
    throw error;
  }
}
