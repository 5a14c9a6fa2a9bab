// The "any pod" metric: for each request whose access token was accepted, whether the previous
// request of the same session to this service was served by this pod, another pod, or none seen
// (anypod_session_requests_total{previous_pod}). With sticky sessions it would be all `same`;
// spread over replicas it is mostly `other`.
//
// The session is the token's `sid` claim: the refresh-token family of a bearer login, the same
// across every access token the login is refreshed into (auth's routes/auth.ts). One Redis command
// per request, `SET anypod:last-pod:<service>:<sid> <pod> GET EX <ttl>`, both records this pod
// and returns the previous one, atomically. It runs after the response has gone (onResponse) and
// is not awaited: it never delays or fails a request. When Redis is unavailable nothing is
// counted — `none` would claim no previous pod when the previous pod is merely unknown.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sessionRequestsCounter, type PreviousPod } from './anypod-metrics.ts';

/** A session idle longer than this starts over as `none` (longer than any access token lives). */
export const SESSION_POD_TTL_SECONDS = 30 * 60;

export const lastPodKey = (service: string, sid: string) => `anypod:last-pod:${service}:${sid}`;

export function previousPodOf(previous: string | null, pod: string): PreviousPod {
  if (previous === null) return 'none';
  return previous === pod ? 'same' : 'other';
}

async function sessionPods(fastify: FastifyInstance, opts: { service: string; podName: string }) {
  const counter = sessionRequestsCounter(fastify.metrics);
  // A callback hook (served-by.ts says why); the Redis command is not awaited (see above).
  fastify.addHook('onResponse', (request, _reply, done) => {
    const sid = fastify.tokenVerdicts.sessionOf(request);
    if (sid) {
      fastify.redis.set(lastPodKey(opts.service, sid), opts.podName, 'EX', SESSION_POD_TTL_SECONDS, 'GET').then(
        (previous) => counter.inc({ previous_pod: previousPodOf(previous, opts.podName) }),
        (error: Error) => request.log.debug({ err: error.message }, 'session pod not recorded: redis unavailable'),
      );
    }
    done();
  });
}

export default fp(sessionPods, { name: 'session-pods', fastify: '5.x', dependencies: ['metrics', 'redis', 'token-verifier'] });
