// Refresh-token families in Postgres, rotated on every use (RFC 9700 §4.14.2).
// A token is "<id>.<HMAC(id)>": only the id is stored, and the HMAC proves we issued it, so a
// used token's successor can be handed out again without storing any token value. That is what
// makes the retry grace work: a client whose refresh response was lost with a dying pod retries
// the same token within REFRESH_REUSE_GRACE_SECONDS and gets the same successor; after the grace
// (or once the successor was itself used) a reuse means theft, and the family is revoked.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { HttpProblem } from '@anypod/platform';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { PrismaClient } from '../../generated/prisma/client.ts';

export interface RefreshResult {
  refreshToken: string;
  familyId: string;
  userId: string;
}

const TOKEN_PATTERN = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;
const invalid = () => new HttpProblem(401, 'The refresh token is invalid, expired or revoked.');

class AlreadyUsed extends Error {}

export class RefreshTokens {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly secret: string,
    private readonly ttlSeconds: number,
    private readonly graceSeconds: number,
  ) {}

  private format(id: string): string {
    return `${id}.${createHmac('sha256', this.secret).update(id).digest('base64url')}`;
  }

  private parse(token: string): string {
    const match = TOKEN_PATTERN.exec(token);
    if (!match) throw invalid();
    const [, id, mac] = match as unknown as [string, string, string];
    const expected = Buffer.from(this.format(id).split('.')[1] as string);
    if (!timingSafeEqual(Buffer.from(mac), expected)) throw invalid();
    return id;
  }

  private expiry(): Date {
    return new Date(Date.now() + this.ttlSeconds * 1000);
  }

  /** Starts a new family for a login and returns its first token. */
  async start(userId: string): Promise<RefreshResult> {
    const familyId = randomUUID();
    const id = randomUUID();
    await this.prisma.refreshFamily.create({ data: { id: familyId, userId, tokens: { create: { id, expiresAt: this.expiry() } } } });
    return { refreshToken: this.format(id), familyId, userId };
  }

  /** Exchanges a token for its successor; see the header comment for reuse and grace. */
  async rotate(presented: string): Promise<RefreshResult> {
    const id = this.parse(presented);
    const token = await this.prisma.refreshToken.findUnique({ where: { id }, include: { family: true } });
    if (!token || token.family.revokedAt || token.expiresAt.getTime() < Date.now()) throw invalid();
    const userId = token.family.userId;

    if (!token.usedAt) {
      const successorId = randomUUID();
      try {
        await this.prisma.$transaction(async (tx) => {
          await tx.refreshToken.create({ data: { id: successorId, familyId: token.familyId, expiresAt: this.expiry() } });
          // Conditional update: of two concurrent rotations only one marks the token used.
          const claimed = await tx.refreshToken.updateMany({ where: { id, usedAt: null }, data: { usedAt: new Date(), successorId } });
          if (claimed.count !== 1) throw new AlreadyUsed();
        });
        return { refreshToken: this.format(successorId), familyId: token.familyId, userId };
      } catch (error) {
        if (!(error instanceof AlreadyUsed)) throw error;
        return this.rotate(presented); // lost the race: take the used-token path with fresh data
      }
    }

    const successor = token.successorId ? await this.prisma.refreshToken.findUnique({ where: { id: token.successorId } }) : null;
    const withinGrace = Date.now() - token.usedAt.getTime() <= this.graceSeconds * 1000;
    if (withinGrace && successor && !successor.usedAt) {
      return { refreshToken: this.format(successor.id), familyId: token.familyId, userId };
    }
    await this.revokeFamily(token.familyId, 'reuse');
    throw new HttpProblem(401, 'The refresh token was already used; every token of this login is now revoked.');
  }

  async revokeFamily(familyId: string, reason: 'logout' | 'reuse'): Promise<void> {
    await this.prisma.refreshFamily.updateMany({ where: { id: familyId, revokedAt: null }, data: { revokedAt: new Date(), revokedReason: reason } });
  }

  async isFamilyActive(familyId: string): Promise<boolean> {
    const family = await this.prisma.refreshFamily.findUnique({ where: { id: familyId }, select: { revokedAt: true } });
    return family !== null && family.revokedAt === null;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    refreshTokens: RefreshTokens;
  }
}

export default fp(
  async (fastify: FastifyInstance, opts: { secret: string; ttlSeconds: number; graceSeconds: number }) => {
    fastify.decorate('refreshTokens', new RefreshTokens(fastify.prisma, opts.secret, opts.ttlSeconds, opts.graceSeconds));
  },
  { name: 'refresh-tokens', fastify: '5.x', dependencies: ['prisma'] },
);
