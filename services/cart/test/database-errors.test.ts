// Real Postgres failures, classified: the moment's (retry the transaction, or 503 + Retry-After)
// versus the request's or the code's (left alone, so they surface as the bugs they are).
import { postgresAdapter } from '@anypod/platform';
import { TEST_DATABASE_URL } from '@anypod/platform/testing/env';
import { afterAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../src/generated/prisma/client.ts';
import { isDatabaseUnavailable, postgresCode } from '@anypod/platform';
import { asUnavailable, isRetryableConflict } from '../src/stores/database-errors.ts';

const prisma = new PrismaClient({ adapter: postgresAdapter(TEST_DATABASE_URL, 'cart', 4) });
afterAll(async () => prisma.$disconnect());

const failure = (promise: Promise<unknown>) => promise.then(() => Promise.reject(new Error('expected a failure')), (error: unknown) => error);

describe('database errors', { tags: ['timing'] }, () => {
  it('turns a statement timeout in a raw query into 503 + Retry-After', async () => {
    const error = await failure(prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SET LOCAL statement_timeout = 20`;
      await tx.$queryRaw`SELECT pg_sleep(1)`;
    }));
    expect(postgresCode(error)).toBe('57014');
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(asUnavailable(error)).toMatchObject({ status: 503, extra: { headers: { 'retry-after': '1' } } });
  });

  it('recognises a deadlock as a conflict worth running again', async () => {
    // A two-party barrier: each transaction takes its first lock, says so, and asks for its second
    // only once the other holds its first. Then each waits for the other, whatever the timing.
    const signal = () => {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    };
    const holding = [signal(), signal()] as const;
    const lockBoth = (me: 0 | 1, first: number, second: number) =>
      prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${first}::bigint)`;
        holding[me].resolve();
        await holding[me === 0 ? 1 : 0].promise;
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${second}::bigint)`;
      });
    const keys = [Date.now(), Date.now() + 1] as const;
    const outcomes = await Promise.allSettled([lockBoth(0, keys[0], keys[1]), lockBoth(1, keys[1], keys[0])]);
    const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(postgresCode(loser.reason)).toBe('40P01');
    expect(isDatabaseUnavailable(loser.reason)).toBe(true);
    expect(isRetryableConflict(loser.reason)).toBe(true);
  });

  it('leaves constraint violations alone (a bug, not an outage)', async () => {
    const error = await failure(prisma.orderLine.create({ data: { order: { create: { id: crypto.randomUUID(), userId: 'u', reservationId: `r-${crypto.randomUUID()}`, totalCents: 0n, createdAt: new Date() } }, productId: 'p', quantity: -1, unitPriceCents: 1 } }));
    expect(postgresCode(error)).toBe('23514');
    expect(asUnavailable(error)).toBeNull();
    expect(isRetryableConflict(error)).toBe(false);
    // The platform's error handler would otherwise answer 503 and invite endless retries.
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
