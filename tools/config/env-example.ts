// The root .env.example, generated from the services' configuration (each service's
// ServiceConfig: its schema's descriptions, defaults and examples), so the file can never
// disagree with what the services read. tools/test/env-example.test.ts fails when it drifts.
//   node --import tsx tools/config/env-example.ts            print it
//   node --import tsx tools/config/env-example.ts --write    write .env.example (make env-example)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { authConfig } from '@anypod/auth/config';
import { cartConfig } from '@anypod/cart/config';
import { catalogConfig } from '@anypod/catalog/config';
import type { ServiceConfig } from '@anypod/platform/config';

/** What the file is made from: each service's name and schema (its rules play no part). */
type Described = Pick<ServiceConfig, 'service' | 'schema'>;

export const SERVICE_CONFIGS: ReadonlyArray<Described> = [authConfig, catalogConfig, cartConfig];
export const ENV_EXAMPLE_PATH = fileURLToPath(new URL('../../.env.example', import.meta.url));

interface Variable {
  name: string;
  description?: string;
  value: string;
  services: string[];
}

/** What a variable shows: its default, else its first example, else nothing (secrets, required settings). */
function valueOf(property: { default?: unknown; examples?: unknown[] }): string {
  if (property.default !== undefined) return String(property.default);
  if (Array.isArray(property.examples) && property.examples.length > 0) return String(property.examples[0]);
  return '';
}

/** Every variable once, in the order the services declare them, with the services that read it. */
export function variablesOf(configs: ReadonlyArray<Described>): Variable[] {
  const byName = new Map<string, Variable>();
  for (const config of configs) {
    for (const [name, property] of Object.entries(config.schema.properties) as Array<[string, { description?: string; default?: unknown; examples?: unknown[] }]>) {
      const known = byName.get(name);
      if (known) {
        known.services.push(config.service);
        continue;
      }
      byName.set(name, { name, ...(property.description ? { description: property.description } : {}), value: valueOf(property), services: [config.service] });
    }
  }
  return [...byName.values()];
}

const sectionOf = (services: string[], all: number): string =>
  services.length === all ? 'every service' : services.length === 1 ? (services[0] as string) : `${services.slice(0, -1).join(', ')} and ${services.at(-1)}`;

export function renderEnvExample(configs: ReadonlyArray<Described> = SERVICE_CONFIGS): string {
  const sections = new Map<string, Variable[]>();
  for (const variable of variablesOf(configs)) {
    const section = sectionOf(variable.services, configs.length);
    sections.set(section, [...(sections.get(section) ?? []), variable]);
  }
  const lines = [
    '# Every variable the services read, with its default (or an example where there is none).',
    '# GENERATED from each service\'s configuration schema (services/*/src/config.ts,',
    '# packages/platform/src/config.ts) by `make env-example`: edit the schemas, not this file.',
    '# The local cluster (make up / make demo) sets these for you. A missing or bad value stops a',
    '# service at start-up with one line naming it, and exit code 78.',
  ];
  for (const [section, variables] of sections) {
    lines.push('', `# --- ${section} ---`);
    for (const variable of variables) {
      if (variable.description) lines.push(`# ${variable.description}`);
      lines.push(`${variable.name}=${variable.value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = renderEnvExample();
  if (process.argv.includes('--write')) {
    writeFileSync(ENV_EXAMPLE_PATH, text);
    console.log(`wrote ${join('.env.example')} (${variablesOf(SERVICE_CONFIGS).length} variables)`);
  } else {
    process.stdout.write(text);
  }
}
