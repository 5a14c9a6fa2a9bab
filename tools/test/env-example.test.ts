// .env.example is generated from the services' configuration schemas: it must say exactly what
// they read (a variable added to a schema and not to the file, or a default changed in one place
// only, fails here), and every variable must say what it is for.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_EXAMPLE_PATH, renderEnvExample, SERVICE_CONFIGS, variablesOf } from '../config/env-example.ts';

describe('.env.example', () => {
  it('is what the services’ schemas generate (run `make env-example` after changing one)', () => {
    expect(readFileSync(ENV_EXAMPLE_PATH, 'utf8')).toBe(renderEnvExample());
  });

  it('describes every variable every service reads', () => {
    const undescribed = variablesOf(SERVICE_CONFIGS).filter((v) => !v.description).map((v) => v.name);
    expect(undescribed).toEqual([]);
  });

  it('lists each variable once, with one default, even where several services read it', () => {
    const variables = variablesOf(SERVICE_CONFIGS);
    expect(new Set(variables.map((v) => v.name)).size).toBe(variables.length);
    const jwks = variables.find((v) => v.name === 'AUTH_JWKS_URL');
    expect(jwks?.services).toEqual(['catalog', 'cart']);
  });
});
