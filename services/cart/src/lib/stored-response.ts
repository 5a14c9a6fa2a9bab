// Responses that an Idempotency-Key remembers are built as bytes before they are sent, so the
// first answer and every replay are the same bytes.
import type { FastifyReply } from 'fastify';
import { PROBLEM_TYPE, problemBody } from '@anypod/platform';
import type { StoredResponse } from './idempotency.ts';

export const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_CONTENT_TYPE = `${PROBLEM_TYPE}; charset=utf-8`;

/** A problem+json answer that is recorded as the key's final outcome (the platform's body, as bytes). */
export function storedProblem(status: number, detail: string, instance: string): StoredResponse {
  const body = JSON.stringify(problemBody(status, detail, instance));
  return { status, headers: { 'content-type': PROBLEM_CONTENT_TYPE }, body };
}

/** Sends recorded bytes as they are (a string payload skips Fastify's serializer). */
export function sendStored(reply: FastifyReply, response: StoredResponse, replayed: boolean): FastifyReply {
  reply.code(response.status).headers(response.headers);
  if (replayed) reply.header('idempotent-replayed', 'true');
  return reply.send(response.body);
}
