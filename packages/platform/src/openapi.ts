// The service's OpenAPI 3.1 document at ${prefix}/openapi.json, under the public prefix so it is
// reachable through the Ingress, and the rules that keep it exact. Register it before the routes
// it should describe: @fastify/swagger collects them as they are added, and completeContract
// (below) completes each one's schema first.
import swagger from '@fastify/swagger';
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { problemResponses } from './problem.ts';

export interface OpenapiOptions {
  service: string;
  /** public URL prefix of the service behind the Ingress, e.g. /auth */
  prefix: string;
  description: string;
}

// Fastify reads a body for these (with Content-Type/Length): 413 when too large, 415 for a type
// it has no parser for, 400 for a body it cannot parse — whether or not the route reads one.
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Schema = Record<string, unknown>;

/** Every object in a request schema must say additionalProperties: false (unknown → 400). */
function assertClosed(schema: unknown, where: string): void {
  if (!schema || typeof schema !== 'object') return;
  const s = schema as Schema;
  if (s.type === 'object' && s.additionalProperties !== false) throw new Error(`${where}: an object without additionalProperties: false would accept unknown properties`);
  for (const [key, value] of Object.entries(s)) {
    if (key === 'properties' || key === 'patternProperties') Object.values(value as Schema).forEach((v) => assertClosed(v, where));
    else if (key === 'items' || key === 'anyOf' || key === 'oneOf' || key === 'allOf') [value].flat().forEach((v) => assertClosed(v, where));
  }
}

/**
 * One documented route's contract, completed in one place rather than by hand per route:
 * - a querystring schema on every route (an empty one when it takes none), so an unknown query
 *   parameter is a 400 everywhere, like an unknown body property;
 * - the error statuses every route shares: 400 (validation), 401 where it declares security,
 *   413/415 where Fastify reads a body, 414 where the path has an id, 429 where it is rate limited, 500, and 503 + Retry-After
 *   (database unavailable here, or no ready replica at the Ingress);
 * - guards, failing at startup: a query/params/body object that would accept unknown properties,
 *   or an error status not described as problem+json (use problemResponses()).
 * Routes hidden from the document (probes, metrics, the document itself) keep their own rules.
 */
export function completeContract(route: RouteOptions): void {
  const schema = (route.schema ?? undefined) as (Schema & { hide?: boolean; response?: Record<string, Schema> }) | undefined;
  if (!schema || schema.hide) return;
  const name = `${[route.method].flat().join(',')} ${route.url}`;
  schema.querystring ??= { type: 'object', properties: {}, additionalProperties: false };
  for (const part of ['querystring', 'params', 'body'] as const) assertClosed(schema[part], `${name} ${part}`);
  const response = (schema.response ??= {});
  for (const [status, entry] of Object.entries(response)) {
    if (Number(status) >= 400 && !(entry.content && 'application/problem+json' in (entry.content as Schema))) {
      throw new Error(`${name}: response ${status} must be problemResponses(${status}) (application/problem+json)`);
    }
  }
  const methods = [route.method].flat();
  const shared = [400, 500, 503];
  if (Array.isArray(schema.security) && schema.security.length > 0) shared.push(401);
  if (methods.some((m) => BODY_METHODS.has(m))) shared.push(413, 415);
  // A path id longer than the router takes (maxParamLength, server-options.ts) never reaches its schema.
  if (route.url.includes(':')) shared.push(414);
  if ((route.config as { rateLimit?: unknown } | undefined)?.rateLimit) shared.push(429);
  for (const [status, entry] of Object.entries(problemResponses(...shared))) response[status] ??= entry;
}

async function openapi(fastify: FastifyInstance, opts: OpenapiOptions) {
  fastify.addHook('onRoute', completeContract);
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `anypod ${opts.service}`, version: '1.0.0', description: opts.description },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    // Shared schemas (Problem, …) keep their $id as their name in components.schemas.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  fastify.get(`${opts.prefix}/openapi.json`, { schema: { hide: true } }, async () => fastify.swagger());
}

export default fp(openapi, { name: 'openapi', fastify: '5.x' });
