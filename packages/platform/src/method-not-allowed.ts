// 405 + Allow for a method a known path does not have (RFC 9110 §15.5.6), instead of Fastify's
// 404: a client generated from the OpenAPI document learns the path exists and which methods it
// takes. A path no route matches stays 404. Used by the not-found handler (problem.ts), the only
// place Fastify hands over a request no route took.
import type { FastifyInstance } from 'fastify';

// Every method a route here could declare, plus the ones Fastify never routes unless asked
// (TRACE, CONNECT…): probing a path with any of them must find the methods it does have.
const CANDIDATES = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The methods some route answers on this concrete path (e.g. /catalog/products/sku-1), or [] when
 * none does. OPTIONS alone does not count: the CORS preflight route matches every path.
 */
export function allowedMethods(fastify: FastifyInstance, url: string): string[] {
  const path = url.split('?')[0] ?? url;
  const allowed = CANDIDATES.filter((method) => fastify.findRoute({ method, url: path }) !== null);
  return allowed.some((method) => method !== 'OPTIONS') ? allowed : [];
}
