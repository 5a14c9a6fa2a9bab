// Every error leaves as application/problem+json (RFC 9457). Validation errors name the field;
// database outages become 503 + Retry-After (clients retry, orchestrators do not restart us);
// unexpected errors become a 500 with no internals leaked.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Type, type Static } from '@sinclair/typebox';
import { isDatabaseUnavailable, postgresCode } from './database-errors.ts';

// character_not_in_repertoire, untranslatable_character: what Postgres says of a NUL in text.
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);
import { allowedMethods } from './method-not-allowed.ts';

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ maxLength: 256 }),
    title: Type.String({ maxLength: 256 }),
    status: Type.Integer(),
    detail: Type.Optional(Type.String({ maxLength: 2048 })),
    instance: Type.Optional(Type.String({ maxLength: 2048 })),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String({ maxLength: 256 }), message: Type.String({ maxLength: 512 }) }), { maxItems: 20 })),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

export const PROBLEM_TYPE = 'application/problem+json';

const titles: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 409: 'Conflict',
  412: 'Precondition Failed', 413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type', 422: 'Unprocessable Content',
  428: 'Precondition Required', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};

// Statuses whose answer carries Retry-After (the client waits that long before retrying).
const RETRY_AFTER = new Set([429, 503]);

/**
 * The OpenAPI/Fastify response entry for an error status: the Problem schema under
 * application/problem+json (what sendProblem sends), with Retry-After where the status carries
 * it. Routes list their own statuses with problemResponses(); contract.ts adds the ones every
 * route shares, so each status is described once, the same way everywhere.
 */
export function problemResponse(status: number) {
  return {
    description: titles[status] ?? 'Error',
    ...(RETRY_AFTER.has(status) ? { headers: { 'retry-after': { type: 'string', description: 'seconds to wait before retrying' } } } : {}),
    content: { [PROBLEM_TYPE]: { schema: { $ref: 'Problem#' } } },
  };
}

export function problemResponses(...statuses: number[]): Record<number, ReturnType<typeof problemResponse>> {
  return Object.fromEntries(statuses.map((status) => [status, problemResponse(status)]));
}

/** An error a handler throws on purpose; its message is safe to show to the client. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly extra: { headers?: Record<string, string>; errors?: ProblemFieldError[] } = {},
  ) {
    super(detail);
  }
}

export type ProblemFieldError = { field: string; message: string };
export type ProblemBody = Static<typeof ProblemSchema>;

/**
 * The one problem+json body (RFC 9457): every error answer — sendProblem's, cart's recorded
 * idempotent outcomes, nginx's own errors in the local cluster — is built here, so the titles and
 * the field order (type, title, status, detail, instance, errors) are the same everywhere. An empty
 * detail is left out; instance is cut to what ProblemSchema allows.
 */
export function problemBody(status: number, detail?: string, instance?: string, errors?: ProblemFieldError[]): ProblemBody {
  return {
    type: 'about:blank',
    title: titles[status] ?? 'Error',
    status,
    ...(detail ? { detail } : {}),
    ...(instance !== undefined ? { instance: instance.slice(0, 2048) } : {}),
    ...(errors ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, status: number, detail?: string, errors?: ProblemFieldError[]) {
  // The document promises Retry-After on every 429 and 503: a path that threw one without saying
  // how long to wait (a library's own 503, say) still sends it, so clients never retry at once.
  if (RETRY_AFTER.has(status) && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
  return reply.code(status).type(PROBLEM_TYPE).send(problemBody(status, detail, reply.request.url, errors));
}

interface ValidationParams {
  missingProperty?: string;
  /** ajv's additionalProperties error: the property the schema does not allow */
  additionalProperty?: string;
}

function fieldOf(instancePath: string | undefined, params: ValidationParams, context: string | undefined): string {
  const path = (instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const named = params.missingProperty ?? params.additionalProperty;
  const base = named ? (path ? `${path}.${named}` : named) : path;
  return base || context || 'body';
}

/**
 * A write without If-Match could silently undo a change it never saw: that is 428 Precondition
 * Required (RFC 6585 §3), not a malformed request, though the header schema is what notices it.
 */
const PRECONDITION_HEADERS = new Set(['if-match']);
const isMissingPrecondition = (error: FastifyError) =>
  error.validationContext === 'headers' && error.validation?.some((v) => PRECONDITION_HEADERS.has((v.params as ValidationParams).missingProperty ?? ''));

async function problemPlugin(fastify: FastifyInstance) {
  fastify.addSchema(ProblemSchema);

  // 404 for an unknown path; 405 + Allow for a method a known path does not take.
  const noRoute = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0];
    const allowed = allowedMethods(fastify, request.url);
    // A route that takes this method and still found nothing (reply.callNotFound()) is a 404 too.
    if (allowed.length === 0 || allowed.includes(request.method)) return sendProblem(reply, 404, `No route ${request.method} ${path}`);
    reply.header('allow', allowed.join(', '));
    return sendProblem(reply, 405, `${path} does not take ${request.method}; it takes ${allowed.join(', ')}.`);
  };
  fastify.setNotFoundHandler(noRoute);

  fastify.setErrorHandler((error: FastifyError | HttpProblem, request, reply) => {
    // No route took the request, but reading its body failed first (QUERY without a
    // Content-Type, …): it is still answered as a request no route takes.
    if (request.is404) return noRoute(request, reply);
    if (error instanceof HttpProblem) {
      if (error.extra.headers) reply.headers(error.extra.headers);
      return sendProblem(reply, error.status, error.message, error.extra.errors);
    }
    if (error.validation && isMissingPrecondition(error)) {
      return sendProblem(reply, 428, 'Send If-Match with the ETag from your last read of this resource.', [{ field: 'if-match', message: 'is required' }]);
    }
    if (error.validation) {
      const errors = error.validation.map((v) => ({
        field: fieldOf(v.instancePath, v.params as ValidationParams, error.validationContext),
        message: v.message ?? 'is invalid',
      }));
      const first = errors[0];
      return sendProblem(reply, 400, first ? `${error.validationContext ?? 'request'} ${first.field}: ${first.message}` : error.message, errors);
    }
    // A character Postgres cannot store (U+0000) in a field no schema rules it out of: the
    // request's fault, never a 500 (text-schema.ts keeps the documented fields exact).
    if (UNSTORABLE_TEXT.has(postgresCode(error) ?? '')) {
      return sendProblem(reply, 400, 'The request contains a character that cannot be stored (U+0000).');
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('retry-after', '2');
      return sendProblem(reply, 503, 'The database is unavailable; retry shortly.');
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'unhandled error');
      return sendProblem(reply, status, 'An unexpected error occurred.');
    }
    // Fastify's own 4xx (bad JSON, body too large, unsupported media type, rate limited…).
    return sendProblem(reply, status, error.message);
  });
}

export default fp(problemPlugin, { name: 'problem', fastify: '5.x' });
