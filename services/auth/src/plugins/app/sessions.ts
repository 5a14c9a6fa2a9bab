// Cookie-mode sessions. The default store keeps them in Postgres (the source of truth) with a
// short Redis cache in front, so any replica recognises any session and a Redis loss costs only
// a cache miss. STATE_STORE=memory swaps in a per-process Map: the deliberately stateful
// demonstration, where a session is unknown to every other replica and dies with its process.
import { createHash, randomBytes } from 'node:crypto';
import { cacheRequestsCounter } from '@anypod/platform/anypod-metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { PrismaClient } from '../../generated/prisma/client.ts';

/** The cookie that carries a session's value (scenarios' journeys/shopper.ts names it too: clients read it). */
export const SESSION_COOKIE = 'anypod_session';

export interface SessionRecord {
  id: string; // sha256 of the cookie value
  userId: string;
  expiresAt: number; // epoch ms
}

export interface SessionStore {
  create(userId: string, ttlSeconds: number): Promise<{ cookieValue: string; session: SessionRecord }>;
  find(cookieValue: string): Promise<SessionRecord | null>;
  revoke(cookieValue: string): Promise<void>;
}

const sessionId = (cookieValue: string) => createHash('sha256').update(cookieValue).digest('hex');
const CACHE_TTL_SECONDS = 60; // bounded staleness; revoke also deletes the key

export class SharedSessionStore implements SessionStore {
  private readonly cacheRequests;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly redis: Redis,
    private readonly log: FastifyInstance['log'],
    registry: Registry,
  ) {
    this.cacheRequests = cacheRequestsCounter(registry, ['session']);
  }

  async create(userId: string, ttlSeconds: number) {
    const cookieValue = randomBytes(32).toString('base64url');
    const session = { id: sessionId(cookieValue), userId, expiresAt: Date.now() + ttlSeconds * 1000 };
    await this.prisma.session.create({ data: { id: session.id, userId, expiresAt: new Date(session.expiresAt) } });
    return { cookieValue, session };
  }

  async find(cookieValue: string) {
    const id = sessionId(cookieValue);
    let bypass = false;
    const cached = await this.redis.get(`session:${id}`).catch((error: Error) => {
      this.log.warn({ err: error.message }, 'session cache unavailable; reading Postgres');
      bypass = true;
      return null;
    });
    this.cacheRequests.inc({ cache: 'session', result: bypass ? 'bypass' : cached ? 'hit' : 'miss' });
    if (cached) {
      const session = JSON.parse(cached) as SessionRecord;
      return session.expiresAt > Date.now() ? session : null;
    }
    const row = await this.prisma.session.findUnique({ where: { id } });
    if (!row || row.revokedAt || row.expiresAt.getTime() <= Date.now()) return null;
    const session = { id, userId: row.userId, expiresAt: row.expiresAt.getTime() };
    await this.redis.set(`session:${id}`, JSON.stringify(session), 'EX', CACHE_TTL_SECONDS).catch(() => undefined);
    return session;
  }

  async revoke(cookieValue: string) {
    const id = sessionId(cookieValue);
    // Source of truth first, then the cache: a failure in between leaves at most CACHE_TTL_SECONDS.
    await this.prisma.session.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    await this.redis.del(`session:${id}`).catch((error: Error) => this.log.warn({ err: error.message }, 'could not evict session cache'));
  }
}

/** DEMONSTRATION ONLY (STATE_STORE=memory): state in this process's memory. */
export class InMemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, SessionRecord>();

  async create(userId: string, ttlSeconds: number) {
    const cookieValue = randomBytes(32).toString('base64url');
    const session = { id: sessionId(cookieValue), userId, expiresAt: Date.now() + ttlSeconds * 1000 };
    this.sessions.set(session.id, session);
    return { cookieValue, session };
  }

  async find(cookieValue: string) {
    const session = this.sessions.get(sessionId(cookieValue));
    return session && session.expiresAt > Date.now() ? session : null;
  }

  async revoke(cookieValue: string) {
    this.sessions.delete(sessionId(cookieValue));
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionStore;
  }
}

export default fp(
  async (fastify: FastifyInstance, opts: { stateStore: 'shared' | 'memory' }) => {
    const store: SessionStore = opts.stateStore === 'memory' ? new InMemorySessionStore() : new SharedSessionStore(fastify.prisma, fastify.redis, fastify.log, fastify.metrics);
    fastify.decorate('sessions', store);
  },
  { name: 'sessions', fastify: '5.x', dependencies: ['prisma', 'redis', 'metrics'] },
);
