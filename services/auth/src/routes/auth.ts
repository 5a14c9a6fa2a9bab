// The auth API (architecture.md). Handlers stay thin: hashing, token families, sessions and
// limits live in plugins/app.
import { randomUUID } from 'node:crypto';
import { HttpProblem, problemResponses } from '@anypod/platform';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthConfig } from '../config.ts';
import type { AccessTokenKeys } from '../signing-keys.ts';
import { CredentialsSchema, JwksSchema, LoginSchema, RefreshSchema, SessionLoginSchema, TokenPairSchema, UserSchema } from '../schemas/auth.ts';

export const SESSION_COOKIE = 'anypod_session';

type Role = 'user' | 'admin';
const asRole = (role: string): Role => (role === 'admin' ? 'admin' : 'user');

export default async function authRoutes(app: FastifyInstance, opts: { config: AuthConfig; jwks: AccessTokenKeys['jwks'] }) {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>();
  const { config } = opts;
  const loginRateLimit = { rateLimit: { max: config.LOGIN_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 } };

  async function issueTokens(user: { id: string; role: string }, familyId: string, refreshToken: string) {
    const accessToken = await fastify.jwt.sign({ sub: user.id, role: asRole(user.role), jti: randomUUID(), sid: familyId });
    return { tokenType: 'Bearer' as const, accessToken, expiresIn: config.ACCESS_TOKEN_TTL_SECONDS, refreshToken };
  }

  /** The user behind a bearer token (family still active) or a session cookie, else 401. */
  async function currentUser(request: FastifyRequest): Promise<{ userId: string; via: 'bearer' | 'cookie' }> {
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
  }

  fastify.post('/register', {
    config: loginRateLimit,
    schema: { summary: 'Create an account', body: CredentialsSchema, response: { 201: UserSchema, ...problemResponses(409, 429) } },
  }, async (request, reply) => {
    const email = request.body.email.toLowerCase();
    const passwordHash = await fastify.passwords.hash(request.body.password);
    try {
      const user = await fastify.prisma.user.create({ data: { email, passwordHash }, select: { id: true, email: true, role: true } });
      return reply.code(201).send({ ...user, role: asRole(user.role) });
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') throw new HttpProblem(409, 'An account with this email already exists.');
      throw error;
    }
  });

  fastify.post('/login', {
    config: loginRateLimit,
    schema: { summary: 'Sign in: bearer tokens, or a session cookie with mode=cookie', body: LoginSchema, response: { 200: Type.Union([TokenPairSchema, SessionLoginSchema]), ...problemResponses(401, 429) } },
  }, async (request, reply) => {
    const email = request.body.email.toLowerCase();
    await fastify.loginLimits.assertAllowed(email);
    const user = await fastify.prisma.user.findUnique({ where: { email } });
    if (!(await fastify.passwords.verify(request.body.password, user?.passwordHash)) || !user) {
      await fastify.loginLimits.recordFailure(email);
      throw new HttpProblem(401, 'Wrong email or password.');
    }
    await fastify.loginLimits.reset(email);
    if (request.body.mode === 'cookie') {
      const { cookieValue, session } = await fastify.sessions.create(user.id, config.SESSION_TTL_SECONDS);
      reply.setCookie(SESSION_COOKIE, cookieValue, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.COOKIE_SECURE, maxAge: config.SESSION_TTL_SECONDS });
      return { user: { id: user.id, email: user.email, role: asRole(user.role) }, sessionExpiresAt: new Date(session.expiresAt).toISOString() };
    }
    const family = await fastify.refreshTokens.start(user.id);
    return issueTokens(user, family.familyId, family.refreshToken);
  });

  fastify.post('/refresh', {
    schema: { summary: 'Rotate a refresh token (retry-safe within a short grace window)', body: RefreshSchema, response: { 200: TokenPairSchema, ...problemResponses(401) } },
  }, async (request) => {
    const rotated = await fastify.refreshTokens.rotate(request.body.refreshToken);
    const user = await fastify.prisma.user.findUnique({ where: { id: rotated.userId }, select: { id: true, role: true } });
    if (!user) throw new HttpProblem(401, 'The account no longer exists.');
    return issueTokens(user, rotated.familyId, rotated.refreshToken);
  });

  fastify.post('/logout', {
    schema: { summary: 'Sign out: revokes the login on every replica', security: [{ bearer: [] }], response: { 204: Type.Null() } },
  }, async (request: FastifyRequest, reply: FastifyReply) => {
    const who = await currentUser(request);
    if (who.via === 'bearer') {
      await fastify.refreshTokens.revokeFamily(request.user.sid, 'logout');
      try {
        await fastify.denyAccessToken(request.user.jti, request.user.exp ?? Math.floor(Date.now() / 1000) + config.ACCESS_TOKEN_TTL_SECONDS);
      } catch (error) {
        // The family is revoked in Postgres (auth honours that); other services accept the
        // token until it expires, at most ACCESS_TOKEN_TTL_SECONDS.
        request.log.warn({ err: (error as Error).message }, 'could not denylist access token');
      }
    } else {
      await fastify.sessions.revoke(request.cookies[SESSION_COOKIE] as string);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
    }
    return reply.code(204).send(null);
  });

  fastify.get('/me', {
    schema: { summary: 'The signed-in user', security: [{ bearer: [] }], response: { 200: UserSchema } },
  }, async (request) => {
    const { userId } = await currentUser(request);
    const user = await fastify.prisma.user.findUnique({ where: { id: userId }, select: { id: true, email: true, role: true } });
    if (!user) throw new HttpProblem(401, 'The account no longer exists.');
    return { ...user, role: asRole(user.role) };
  });

  const { jwks } = opts;
  fastify.get('/.well-known/jwks.json', {
    schema: { summary: 'Public keys for verifying access tokens', response: { 200: JwksSchema } },
  }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return jwks;
  });
}
