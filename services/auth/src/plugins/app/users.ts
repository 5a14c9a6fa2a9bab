// Accounts in Postgres, behind one repository like catalog's products: the routes ask for users
// and never query Prisma or read its error codes themselves. A duplicate email is the request's
// conflict (409), found by the unique index rather than a read first, which two concurrent
// registrations could both pass.
import { HttpProblem, isUniqueViolation } from '@anypod/platform';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { PrismaClient } from '../../generated/prisma/client.ts';

export type Role = 'user' | 'admin';

/** What the API shows of an account (never its password hash). */
export interface PublicUser {
  id: string;
  email: string;
  role: Role;
}

/** An account as sign-in needs it: with the hash to verify the password against. */
export interface UserCredentials extends PublicUser {
  passwordHash: string;
}

// The column is free text; anything but 'admin' grants no more than a user's rights.
const withRole = <T extends { role: string }>(row: T): T & { role: Role } => ({ ...row, role: row.role === 'admin' ? 'admin' : 'user' });
const PUBLIC = { id: true, email: true, role: true } as const;

export class UserRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Creates the account; 409 when the email is taken. */
  async register(email: string, passwordHash: string): Promise<PublicUser> {
    try {
      return withRole(await this.prisma.user.create({ data: { email, passwordHash }, select: PUBLIC }));
    } catch (error) {
      if (isUniqueViolation(error)) throw new HttpProblem(409, 'An account with this email already exists.');
      throw error;
    }
  }

  async findByEmail(email: string): Promise<UserCredentials | null> {
    const user = await this.prisma.user.findUnique({ where: { email }, select: { ...PUBLIC, passwordHash: true } });
    return user && withRole(user);
  }

  /** The account behind a login, or null when it was deleted since. */
  async findPublic(id: string): Promise<PublicUser | null> {
    const user = await this.prisma.user.findUnique({ where: { id }, select: PUBLIC });
    return user && withRole(user);
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    users: UserRepository;
  }
}

export default fp(
  async (fastify: FastifyInstance) => {
    fastify.decorate('users', new UserRepository(fastify.prisma));
  },
  { name: 'users', fastify: '5.x', dependencies: ['prisma'] },
);
