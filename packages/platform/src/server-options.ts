// Fastify options every service shares: the Ajv and body settings from reliability.md, the
// shutdown behaviour that keeps graceful deletes free of 503s, and JSON log lines that name the
// service and pod and, while a traced request is active, its trace (log-trace-context.ts).
import type { FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import { traceLogFields } from './log-trace-context.ts';
import { serverLimitOptions } from './server-limits.ts';

export function serverOptions(opts: { logLevel: string; service: string; podName: string }): FastifyServerOptions {
  return {
    logger: {
      level: opts.logLevel,
      base: { service: opts.service, pod: opts.podName },
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
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
  };
}
