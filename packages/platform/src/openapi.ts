// The service's OpenAPI 3.1 document at ${prefix}/openapi.json, under the public prefix so it is
// reachable through the Ingress. Register it before the routes it should describe:
// @fastify/swagger collects them as they are added.
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface OpenapiOptions {
  service: string;
  /** public URL prefix of the service behind the Ingress, e.g. /auth */
  prefix: string;
  description: string;
}

async function openapi(fastify: FastifyInstance, opts: OpenapiOptions) {
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
