// The auth API (architecture.md). Handlers stay thin: accounts, hashing, token families,
// sessions, limits and who is calling live in plugins/app.
import { randomUUID } from 'node:crypto';
import { HttpProblem, problemResponses } from '@anypod/platform';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AuthConfig } from '../config.ts';
import { SESSION_COOKIE } from '../plugins/app/sessions.ts';
import type { Role } from '../plugins/app/users.ts';
import type { AccessTokenKeys } from '../signing-keys.ts';
import { CredentialsSchema, JwksSchema, LoginSchema, RefreshSchema, SessionLoginSchema, TokenPairSchema, UserSchema } from '../schemas/auth.ts';

export default async function authRoutes(app: FastifyInstance, opts: { config: AuthConfig; jwks: AccessTokenKeys['jwks'] }) {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>();
  const { config } = opts;
  const loginRateLimit = { rateLimit: { max: config.LOGIN_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 } };

  async function issueTokens(user: { id: string; role: Role }, familyId: string, refreshToken: string) {
    const accessToken = await fastify.jwt.sign({ sub: user.id, role: user.role, jti: randomUUID(), sid: familyId });
    return { tokenType: 'Bearer' as const, accessToken, expiresIn: config.ACCESS_TOKEN_TTL_SECONDS, refreshToken };
  }

  fastify.post('/register', {
    config: loginRateLimit,
    schema: { summary: 'Create an account', body: CredentialsSchema, response: { 201: UserSchema, ...problemResponses(409, 429) } },
  }, async (request, reply) => {
    const email = request.body.email.toLowerCase();
    const passwordHash = await fastify.passwords.hash(request.body.password);
    return reply.code(201).send(await fastify.users.register(email, passwordHash));
  });

  fastify.post('/login', {
    config: loginRateLimit,
    schema: { summary: 'Sign in: bearer tokens, or a session cookie with mode=cookie', body: LoginSchema, response: { 200: Type.Union([TokenPairSchema, SessionLoginSchema]), ...problemResponses(401, 429) } },
  }, async (request, reply) => {
    const email = request.body.email.toLowerCase();
    await fastify.loginLimits.assertAllowed(email);
    const user = await fastify.users.findByEmail(email);
    if (!(await fastify.passwords.verify(request.body.password, user?.passwordHash)) || !user) {
      await fastify.loginLimits.recordFailure(email);
      throw new HttpProblem(401, 'Wrong email or password.');
    }
    await fastify.loginLimits.reset(email);
    if (request.body.mode === 'cookie') {
      const { cookieValue, session } = await fastify.sessions.create(user.id, config.SESSION_TTL_SECONDS);
      reply.setCookie(SESSION_COOKIE, cookieValue, { path: '/', httpOnly: true, sameSite: 'lax', secure: config.COOKIE_SECURE, maxAge: config.SESSION_TTL_SECONDS });
      return { user: { id: user.id, email: user.email, role: user.role }, sessionExpiresAt: new Date(session.expiresAt).toISOString() };
    }
    const family = await fastify.refreshTokens.start(user.id);
    return issueTokens(user, family.familyId, family.refreshToken);
  });

  fastify.post('/refresh', {
    schema: { summary: 'Rotate a refresh token (retry-safe within a short grace window)', body: RefreshSchema, response: { 200: TokenPairSchema, ...problemResponses(401) } },
  }, async (request) => {
    const rotated = await fastify.refreshTokens.rotate(request.body.refreshToken);
    const user = await fastify.users.findPublic(rotated.userId);
    if (!user) throw new HttpProblem(401, 'The account no longer exists.');
    return issueTokens(user, rotated.familyId, rotated.refreshToken);
  });

  fastify.post('/logout', {
    schema: { summary: 'Sign out: revokes the login on every replica', security: [{ bearer: [] }], response: { 204: Type.Null() } },
  }, async (request, reply) => {
    const who = await fastify.currentUser(request);
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
    const { userId } = await fastify.currentUser(request);
    const user = await fastify.users.findPublic(userId);
    if (!user) throw new HttpProblem(401, 'The account no longer exists.');
    return user;
  });

  const { jwks } = opts;
  fastify.get('/.well-known/jwks.json', {
    schema: { summary: 'Public keys for verifying access tokens', response: { 200: JwksSchema } },
  }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return jwks;
  });
}
