// Security headers on every response and CORS from an explicit allow-list
// (@fastify/cors would otherwise answer '*').
import cors from '@fastify/cors';
import helmet, { type FastifyHelmetRouteOptions } from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The one exception to the API's CSP, for the API reference page only (api-reference.ts sets it
 * as that route's `helmet` option): Swagger UI's script, stylesheet and icons from this origin,
 * the document and "try it" requests to this origin, and still no inline script, no eval, nothing
 * from another host, no framing. The images are data: URIs inside Swagger UI's stylesheet. Every
 * directive is listed (useDefaults off), so what is sent is exactly this.
 */
export const referencePageHelmet = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
} satisfies FastifyHelmetRouteOptions['helmet'];

async function security(fastify: FastifyInstance, opts: { corsOrigins: string }) {
  // An API serves no HTML, so the strictest CSP costs nothing; the document route is JSON only.
  // The API reference page relaxes it on its own route (referencePageHelmet above). useDefaults
  // off: helmet's defaults would add looser script-src/style-src lines next to default-src 'none'.
  await fastify.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  const allowed = opts.corsOrigins.split(',').map((o) => o.trim()).filter(Boolean);
  await fastify.register(cors, {
    origin: allowed.length ? allowed : false,
    credentials: true,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match', 'if-none-match'],
    exposedHeaders: ['etag', 'x-served-by', 'retry-after', 'x-cache', 'idempotent-replayed', 'location'],
    maxAge: 600,
  });
}

export default fp(security, { name: 'security', fastify: '5.x' });
