// Fastify options every service shares: the Ajv and body settings from reliability.md, the
// shutdown behaviour that keeps graceful deletes free of 503s, and JSON log lines that name the
// service and pod and, while a traced request is active, its trace (log-trace-context.ts).
import type { FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import { traceLogFields } from './log-trace-context.ts';
import { sendProblem } from './problem.ts';
import { buildValidator } from './request-validation.ts';
import { serverLimitOptions } from './server-limits.ts';

export function serverOptions(opts: { logLevel: string; service: string; podName: string }): FastifyServerOptions {
  return {
    logger: {
      level: opts.logLevel,
      base: { service: opts.service, pod: opts.podName },
      // No `redact`: Fastify's request and response serializers name the fields they log (method,
      // url, host, remote address and port; status code), so no header — Authorization, Cookie,
      // Set-Cookie — ever reaches a line (request-logging.test.ts shows it). Redaction paths under
      // req.headers and res.headers matched nothing, and cost 12 % of a cached GET's throughput.
      // Called for every line (pino passes the line's own fields, which must not be taken for a context).
      mixin: () => traceLogFields(),
    },
    // Serve requests that arrive while closing instead of answering 503 (Fastify's default):
    // they were routed to us before the endpoint removal propagated.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    bodyLimit: 64 * 1024,
    // Header size, timeouts and the connection cap against hostile clients (server-limits.ts).
    ...serverLimitOptions(),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Behind nginx / an Ingress: take the client address from X-Forwarded-For (for IP rate limits).
    trustProxy: true,
    ajv: {
      // removeAdditional false: an unknown property is a 400 naming it, not silently dropped —
      // a client that misspells a field learns so instead of getting the default.
      customOptions: { removeAdditional: false, allErrors: false, coerceTypes: 'array', useDefaults: true },
    },
    // Coercion for the string parts of a request only, never the JSON body (request-validation.ts).
    schemaController: { compilersFactory: { buildValidator } },
    // Above the longest path id any schema allows (a reservationId: 128), so an id that is too
    // long is a 400 naming it, from its schema, not the router's 414.
    routerOptions: { maxParamLength: 256 },
    // The router's own refusals (an undecodable URL: 400, an id over maxParamLength: 414) leave
    // as problem+json like every other error, not Fastify's plain JSON.
    frameworkErrors: (error, _request, reply) => sendProblem(reply, error.statusCode ?? 400, error.message),
  };
}
