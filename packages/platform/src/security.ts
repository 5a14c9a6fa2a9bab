// Security headers on every response and CORS from an explicit allow-list
// (@fastify/cors would otherwise answer '*').
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function security(fastify: FastifyInstance, opts: { corsOrigins: string }) {
  // An API serves no HTML, so the strictest CSP costs nothing; the docs route is JSON only.
  await fastify.register(helmet, {
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
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
