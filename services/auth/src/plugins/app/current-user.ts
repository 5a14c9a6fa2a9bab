// Who is calling: a decorator next to the platform's `authenticate`, so that any auth route can
// ask and the route plugin keeps only handlers. Auth accepts either a bearer token — checked
// against Postgres as well, since auth itself must honour a logout even if Redis forgot the
// denylisted token — or a session cookie (mode=cookie logins).
import { HttpProblem } from '@anypod/platform';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { SESSION_COOKIE } from './sessions.ts';

export interface CurrentUser {
  userId: string;
  /** how the request proved it: logout revokes a bearer token's family, or a cookie's session */
  via: 'bearer' | 'cookie';
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The user behind a bearer token (family still active) or a session cookie, else 401. */
    currentUser: (request: FastifyRequest) => Promise<CurrentUser>;
  }
}

export default fp(
  async (fastify: FastifyInstance) => {
    fastify.decorate('currentUser', async (request: FastifyRequest): Promise<CurrentUser> => {
      if (request.headers.authorization) {
        await fastify.authenticate(request);
        // Postgres, not only the Redis denylist: a logout must hold here even if Redis lost it.
        if (!(await fastify.refreshTokens.isFamilyActive(request.user.sid))) {
          fastify.tokenVerdicts.revoked(request);
          throw new HttpProblem(401, 'This login was signed out.');
        }
        return { userId: request.user.sub, via: 'bearer' };
      }
      const cookie = request.cookies[SESSION_COOKIE];
      const session = cookie ? await fastify.sessions.find(cookie) : null;
      if (!session) throw new HttpProblem(401, 'Sign in first: no valid bearer token or session cookie.', { headers: { 'www-authenticate': 'Bearer' } });
      return { userId: session.userId, via: 'cookie' };
    });
  },
  { name: 'current-user', fastify: '5.x', dependencies: ['token-verifier', 'refresh-tokens', 'sessions', '@fastify/cookie'] },
);
