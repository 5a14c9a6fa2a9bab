// Failed-login counting per account, in Redis so the limit holds across replicas (a per-process
// counter would multiply the allowance by the replica count). Per-IP limits come from
// @fastify/rate-limit with the same Redis. Both fail open when Redis is down: availability of
// login wins, and scrypt already makes guessing slow.
import { createHash } from 'node:crypto';
import { HttpProblem } from '@anypod/platform';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const WINDOW_SECONDS = 15 * 60;
const keyFor = (email: string) => `login-failures:${createHash('sha256').update(email).digest('hex')}`;

export class LoginLimits {
  constructor(
    private readonly fastify: FastifyInstance,
    private readonly maxFailures: number,
  ) {}

  /** Throws 429 when the account has too many recent failures. */
  async assertAllowed(email: string): Promise<void> {
    try {
      const key = keyFor(email);
      const [failures, ttl] = await Promise.all([this.fastify.redis.get(key), this.fastify.redis.ttl(key)]);
      if (Number(failures ?? 0) >= this.maxFailures) {
        throw new HttpProblem(429, 'Too many failed logins for this account; try again later.', { headers: { 'retry-after': String(Math.max(1, ttl)) } });
      }
    } catch (error) {
      if (error instanceof HttpProblem) throw error;
      this.fastify.log.warn({ err: (error as Error).message }, 'login limits unavailable; allowing');
    }
  }

  async recordFailure(email: string): Promise<void> {
    const key = keyFor(email);
    await this.fastify.redis.multi().incr(key).expire(key, WINDOW_SECONDS, 'NX').exec().catch(() => undefined);
  }

  async reset(email: string): Promise<void> {
    await this.fastify.redis.del(keyFor(email)).catch(() => undefined);
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    loginLimits: LoginLimits;
  }
}

export default fp(
  async (fastify: FastifyInstance, opts: { maxFailures: number }) => {
    fastify.decorate('loginLimits', new LoginLimits(fastify, opts.maxFailures));
  },
  { name: 'login-limits', fastify: '5.x', dependencies: ['redis'] },
);
