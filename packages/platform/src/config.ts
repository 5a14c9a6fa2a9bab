// Configuration from the environment, validated by a TypeBox schema. A bad or missing variable
// stops the process with one line that names it, instead of a stack trace minutes later.
import { Type, type Static, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Variables every service reads. Services extend this with their own. */
export const BaseConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 3000, description: 'HTTP port' }),
  HOST: Type.String({ minLength: 1, maxLength: 255, default: '0.0.0.0', description: 'bind address; probes need 0.0.0.0 in a pod' }),
  POD_NAME: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: 'replica name for X-Served-By; falls back to HOSTNAME' })),
  HOSTNAME: Type.Optional(Type.String({ maxLength: 253 })),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://', maxLength: 2048, description: 'a postgresql:// URL' }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', maxLength: 2048, description: 'a redis:// URL' }),
  CORS_ORIGINS: Type.String({ default: '', maxLength: 4096, description: 'comma-separated allowed origins; empty = no cross-origin access' }),
  SHUTDOWN_DELAY_MS: Type.Integer({ minimum: 0, maximum: 120_000, default: 0, description: 'keep serving this long after SIGTERM (for platforms without a pre-stop hook)' }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 1000, maximum: 300_000, default: 20_000, description: 'force exit if draining takes longer' }),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  STATE_STORE: Type.Union([Type.Literal('shared'), Type.Literal('memory')], {
    default: 'shared',
    description: "'memory' keeps state in the process: a deliberately stateful demonstration mode",
  }),
});
export type BaseConfig = Static<typeof BaseConfigSchema>;

/**
 * Reads `schema` from `env`: applies defaults, converts strings to numbers/booleans, and throws a
 * ConfigError naming the first bad variable. Empty strings count as unset.
 */
export function loadConfig<T extends TObject>(schema: T, env: NodeJS.ProcessEnv = process.env): Static<T> {
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

/** Loads config for a process entry point; on error prints one line and exits non-zero. */
export function loadConfigOrExit<T extends TObject>(schema: T, service: string): Static<T> {
  try {
    return loadConfig(schema);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: configuration error: ${error.message}\n`);
      process.exit(78); // EX_CONFIG from sysexits.h
    }
    throw error;
  }
}
