// The contract's environment checks (tools/k8s/contract.ts): what the chart sets in a service's
// container against what the service's ServiceConfig reads, and the migrate init container
// against the service it migrates.
import { ConfigError, loadConfig, type ServiceConfig } from '@anypod/platform/config';
import { testEnv } from '@anypod/platform/testing/env';
import type { ServiceSurface } from './contract.ts';
import type { K8sObject } from './render.ts';
import { violation, type Violation } from './violations.ts';
import { resolveEnv, serviceContainer, type Container, type EnvSource, type PodTemplate } from './workloads.ts';

/**
 * Variables the services read outside their ServiceConfig, with who reads them. Anything else the
 * chart sets that no schema declares is a typo or a setting nothing reads.
 */
export const READ_OUTSIDE_SCHEMA: ReadonlyArray<{ test: (name: string) => boolean; readBy: string }> = [
  // packages/platform/src/telemetry.ts and the OpenTelemetry SDK read OTEL_* before config loads.
  { test: (name) => name.startsWith('OTEL_'), readBy: 'the OpenTelemetry SDK (packages/platform/src/telemetry.ts)' },
  // Node itself.
  { test: (name) => name === 'NODE_OPTIONS' || name === 'NODE_EXTRA_CA_CERTS', readBy: 'node' },
];

interface SchemaProperty {
  default?: unknown;
  description?: string;
  [key: string]: unknown;
}

export const propertiesOf = (config: ServiceConfig): Record<string, SchemaProperty> => config.schema.properties as Record<string, SchemaProperty>;

/** Variables a service cannot start without: required by the schema and with no default. */
export function requiredVariables(config: ServiceConfig): string[] {
  const required = new Set(config.schema.required ?? []);
  return Object.entries(propertiesOf(config))
    .filter(([name, property]) => required.has(name) && property.default === undefined)
    .map(([name]) => name);
}

/** Names referenced as $(NAME) in the container's env values, command or args: those are read by the pod spec itself. */
function referencedNames(container: Container): Set<string> {
  const texts = [...(container.env ?? []).map((e) => e.value ?? ''), ...(container.command ?? []), ...(container.args ?? [])];
  const names = new Set<string>();
  for (const text of texts) for (const match of text.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) names.add(match[1]!);
  return names;
}

/** A schema's example value, for a required variable the test environment has no value for. */
function standInExample(property: SchemaProperty | undefined): string | undefined {
  const examples = property?.examples;
  return Array.isArray(examples) && examples.length > 0 ? String(examples[0]) : undefined;
}

/** A stand-in for a value the render cannot show, so loadConfig can run its rules over the rest. */
export function standIn(name: string, property: SchemaProperty | undefined, source: EnvSource, objects: K8sObject[], namespace: string, pod: string): string | undefined {
  if (source.kind === 'value') return source.value;
  if (source.kind === 'fieldRef') return source.fieldPath === 'metadata.namespace' ? namespace : source.fieldPath === 'metadata.name' ? pod : 'field';
  if (source.kind === 'secret') {
    // A Secret the chart renders (secrets.create) is checked with its real data; one made outside
    // the chart gets the test suite's valid stand-in (platform/testing/env).
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === source.name);
    const encoded = (secret?.data as Record<string, string> | undefined)?.[source.key];
    const plain = (secret?.stringData as Record<string, string> | undefined)?.[source.key];
    if (plain !== undefined) return plain;
    if (encoded !== undefined) return Buffer.from(encoded, 'base64').toString('utf8');
    return testEnv()[name] ?? standInExample(property);
  }
  return testEnv()[name] ?? standInExample(property);
}

/** The env checks of one service Deployment against its service's schema. */
export function envViolations(template: PodTemplate, surface: ServiceSurface, objects: K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const container = serviceContainer(template);
  if (!container) return [violation(template.ref, 'contract.container', `no container named '${template.component}'`)];
  const add = (rule: string, message: string) => out.push(violation(template.ref, rule, message));
  const where = `container '${container.name}'`;
  const { vars, opaque } = resolveEnv(objects, container);
  const properties = propertiesOf(surface.config);
  /** variables whose own problem is reported, so the whole load does not repeat it */
  const alreadyNamed: string[] = [];
  const schemaFile = `services/${surface.component}/src/config.ts or packages/platform/src/config.ts`;

  const counts = new Map<string, number>();
  for (const entry of container.env ?? []) counts.set(entry.name, (counts.get(entry.name) ?? 0) + 1);
  for (const [name, count] of counts)
    if (count > 1) add('contract.env.duplicate', `${where}: ${name} is set ${count} times; the last entry silently wins over the chart's own setting — set it once (through the value the chart has for it)`);

  for (const source of opaque) add('contract.env.opaque', `${where}: envFrom ${source} is not part of the render, so its variable names cannot be checked; set the variables with env (valueFrom secretKeyRef) instead`);

  for (const name of requiredVariables(surface.config)) {
    const source = vars.get(name);
    if (!source) {
      alreadyNamed.push(name);
      add('contract.env.required', `${where}: ${surface.component} requires ${name} (${properties[name]?.description ?? 'no default'}) but the chart does not set it; add it to the Deployment's env`);
      continue;
    }
    if (source.kind === 'secret' || source.kind === 'configMapKey') {
      if (source.optional) add('contract.env.required', `${where}: ${name} is required by ${surface.component} but its ${source.kind} reference is optional: drop 'optional: true'`);
      const kind = source.kind === 'secret' ? 'Secret' : 'ConfigMap';
      const object = objects.find((o) => o.kind === kind && o.metadata.name === source.name);
      const data = { ...((object?.data ?? {}) as object), ...((object?.stringData ?? {}) as object) };
      if (object && !(source.key in data)) add('contract.env.required', `${where}: ${name} reads key '${source.key}' of ${kind}/${source.name}, which has no such key (keys: ${Object.keys(data).join(', ')})`);
    }
  }

  const referenced = referencedNames(container);
  for (const name of vars.keys()) {
    if (name in properties || referenced.has(name) || READ_OUTSIDE_SCHEMA.some((r) => r.test(name))) continue;
    add(
      'contract.env.unknown',
      `${where}: sets ${name}, which ${surface.component} does not read (not in its ServiceConfig, ${schemaFile}); fix the name, remove it, or add it to the service's schema`,
    );
  }

  // $(NAME) in a value is expanded only when NAME is defined earlier in env; otherwise the
  // service receives the literal text.
  const earlier = new Set<string>();
  for (const entry of container.env ?? []) {
    for (const match of (entry.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
      if (!earlier.has(match[1]!))
        add('contract.env.reference', `${where}: ${entry.name} refers to $(${match[1]}), which is not defined before it in env, so the service gets the literal text; define ${match[1]} first`);
    }
    earlier.add(entry.name);
  }

  // Each plain value alone, through the service's own start-up check (loadConfig: defaults, then
  // strings converted to numbers/booleans, then the schema), over an environment that is valid
  // otherwise — so every bad value is named, not only the first.
  const baseline: Record<string, string> = {};
  for (const name of requiredVariables(surface.config)) {
    const value = testEnv()[name] ?? standInExample(properties[name]);
    if (value !== undefined) baseline[name] = value;
  }
  for (const [name, source] of vars) {
    if (source.kind !== 'value' || !(name in properties) || source.value === '') continue;
    try {
      loadConfig(surface.config, { ...baseline, [name]: source.value });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // Only this variable's own problem; rules across variables are the whole load's to report.
      if (error.message.startsWith(`${name} is invalid`)) {
        alreadyNamed.push(name);
        add('contract.env.value', `${where}: ${name}=${JSON.stringify(source.value)} (${source.from}) is refused by ${surface.component}: ${error.message}`);
      }
    }
  }

  // Then the whole configuration as the service loads it, rules across variables included, with
  // stand-ins for what the render cannot show (values from Secrets made outside the chart).
  const namespace = template.owner.metadata.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const [name, source] of vars) {
    if (!(name in properties)) continue;
    const value = standIn(name, properties[name], source, objects, namespace, `${template.owner.metadata.name}-7d9c6b5f4-abcde`);
    if (value !== undefined) env[name] = value;
  }
  try {
    loadConfig(surface.config, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A problem of one variable already named above is not repeated; what is left is a rule
    // across variables (or a stand-in the render made up, which the message then shows).
    if (!alreadyNamed.some((name) => error.message.startsWith(`${name} `)))
      add('contract.env.load', `${where}: ${surface.component} would refuse to start with the chart's environment: ${error.message}`);
  }
  return out;
}

/** Where a variable's value comes from, comparable across containers. */
const sourceKey = (source: EnvSource | undefined): string =>
  !source ? 'unset' : source.kind === 'value' ? `value ${source.value}` : source.kind === 'secret' || source.kind === 'configMapKey' ? `${source.kind} ${source.name}/${source.key}` : source.kind;

/**
 * The migrate init container (image anypod/migrate, entry tools/images/migrate-entry.mjs) applies
 * the migrations of the service named in its args, to the database in its DATABASE_URL: that
 * must be this pod's own service, and the very database the service then uses.
 */
export function migrateViolations(template: PodTemplate, surface: ServiceSurface, objects: K8sObject[]): Violation[] {
  const out: Violation[] = [];
  const migrate = (template.spec.initContainers ?? []).find((c) => c.name === 'migrate' || (c.image ?? '').includes('anypod/migrate'));
  const container = serviceContainer(template);
  if (!migrate || !container) return out;
  const add = (message: string) => out.push(violation(template.ref, 'contract.migrate', `init container '${migrate.name}': ${message}`));
  const args = [...(migrate.command ?? []), ...(migrate.args ?? [])];
  if (args.length !== 1 || args[0] !== surface.component) add(`args are ${JSON.stringify(args)}; give exactly ["${surface.component}"], the service whose pod this is`);
  if (!surface.hasMigrations) add(`${surface.component} has no Prisma migrations (services/${surface.component}/prisma) to apply; remove the init container`);
  const mine = resolveEnv(objects, migrate).vars;
  const serviceUrl = sourceKey(resolveEnv(objects, container).vars.get('DATABASE_URL'));
  const migrateUrl = sourceKey(mine.get('DATABASE_URL'));
  if (migrateUrl !== serviceUrl) add(`DATABASE_URL comes from ${migrateUrl} but the service's from ${serviceUrl}: migrations must go to the database the service uses`);
  for (const name of mine.keys())
    if (name !== 'DATABASE_URL' && !/^(PRISMA_|NODE_|OTEL_)/.test(name)) add(`sets ${name}, which the migrate entry (tools/prisma/deploy.mjs: DATABASE_URL only) does not read`);
  return out;
}
