// Request validation with Fastify's own Ajv compiler, in two instances: the querystring, params
// and headers arrive as strings and are coerced to their schema types ("2" → 2), the JSON body
// is not — coercion there turned {"productId": false} into the id "false" and accepted it
// (Schemathesis found it). Everything else (formats, defaults, no removal of unknown properties:
// ajvOptions in server-options.ts) is the same for both.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type BuildValidator = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;

// The compiler Fastify itself uses, resolved from Fastify's own install (its dependency, the
// version Fastify was released with) rather than pinned a second time here.
const AjvCompiler = createRequire(createRequire(import.meta.url).resolve('fastify'))('@fastify/ajv-compiler') as () => BuildValidator;

export const buildValidator: BuildValidator = (externalSchemas, ajvOptions) => {
  const factory = AjvCompiler();
  const coercing = factory(externalSchemas, ajvOptions);
  const strict = factory(externalSchemas, { ...ajvOptions, customOptions: { ...ajvOptions?.customOptions, coerceTypes: false } } as Parameters<BuildValidator>[1]);
  return (route) => (route.httpPart === 'body' ? strict(route) : coercing(route));
};
