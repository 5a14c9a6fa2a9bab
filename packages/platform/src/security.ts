// Security headers on every response and CORS from an explicit allow-list
// (@fastify/cors would otherwise answer '*').
//
// The headers are helmet's, computed once per configuration when the routes are registered and
// copied onto each response. @fastify/helmet calls helmet(options) — which parses every CSP
// directive again — on each request: 6 % of a cached GET's CPU time. Nothing here depends on the
// request (no CSP nonces, no directive functions), so the headers are the same every time.
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/** The response headers helmet sets for these options (lower-case names). */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  let failure: unknown;
  // helmet only sets and removes headers on the response; it never reads the request.
  const response = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value),
    // X-Powered-By: Fastify never sets it, so there is nothing to remove on a real response.
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => void (failure = error));
  if (failure) throw failure;
  return headers;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** this route's security headers, when its `helmet` option differs from the global one (set by onRoute) */
    securityHeaders?: Record<string, string>;
  }
  interface RouteShorthandOptions {
    /** helmet options over the global ones, key by key, for this route only (api-reference.ts); false: none */
    helmet?: HelmetOptions | false;
  }
}

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
} satisfies HelmetOptions;

async function security(fastify: FastifyInstance, opts: { corsOrigins: string }) {
  // An API serves no HTML, so the strictest CSP costs nothing; the document route is JSON only.
  // The API reference page relaxes it on its own route (referencePageHelmet above). useDefaults
  // off: helmet's defaults would add looser script-src/style-src lines next to default-src 'none'.
  const global: HelmetOptions = {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-site' },
  };
  const globalHeaders = helmetHeaders(global);
  // A route's own options replace the global ones key by key, as @fastify/helmet merged them.
  fastify.addHook('onRoute', (route) => {
    const own = (route as { helmet?: HelmetOptions | false }).helmet;
    if (own === undefined) return;
    route.config = { ...route.config, securityHeaders: own === false ? {} : helmetHeaders({ ...global, ...own } as HelmetOptions) };
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.routeOptions.config.securityHeaders ?? globalHeaders);
    done();
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
