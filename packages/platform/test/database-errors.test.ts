// The unique-violation check against real Postgres refusals: what pg raises, and what Prisma's
// driver adapter makes of it (the error Prisma then wraps as P2002 or P2010). A 409 must follow a
// duplicate whichever way the write went, and nothing else may pass for one.
import { TEST_DATABASE_URL } from '@anypod/platform/testing/env';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUniqueViolation, postgresCode } from '../src/database-errors.ts';
import { postgresAdapter } from '../src/postgres.ts';

// A schema of its own (dropped at the end): pg's pool replaces a connection after an error, so
// session-scoped temporary tables would not outlive the first refusal.
const schema = `platform_db_errors_${process.pid}_${Date.now()}`;
const client = new pg.Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path="${schema}"` });
const adapterFactory = postgresAdapter(TEST_DATABASE_URL, schema, 1);
let adapter: Awaited<ReturnType<typeof adapterFactory.connect>> | undefined;

const failure = (promise: Promise<unknown>) => promise.then(() => Promise.reject(new Error('expected a failure')), (error: unknown) => error);
const viaPg = (sql: string) => failure(client.query(sql));
const viaAdapter = (sql: string) => failure((adapter as NonNullable<typeof adapter>).executeRaw({ sql, args: [], argTypes: [] }));

beforeAll(async () => {
  await client.connect();
  await client.query(`
    CREATE SCHEMA "${schema}";
    CREATE TABLE parents (id int PRIMARY KEY);
    CREATE TABLE children (id int PRIMARY KEY, parent int REFERENCES parents (id), size int CHECK (size > 0));
    INSERT INTO parents VALUES (1)`);
  adapter = await adapterFactory.connect();
});
afterAll(async () => {
  await adapter?.dispose();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

describe('isUniqueViolation', () => {
  it('recognises a duplicate key, raised by pg or by the driver adapter', async () => {
    expect(isUniqueViolation(await viaPg('INSERT INTO parents VALUES (1)'))).toBe(true);
    expect(isUniqueViolation(await viaAdapter('INSERT INTO parents VALUES (1)'))).toBe(true);
  });

  it("recognises Prisma's wrappers: P2002 (model query) and P2010 around 23505 (raw query)", async () => {
    const adapterError = await viaAdapter('INSERT INTO parents VALUES (1)');
    expect(isUniqueViolation({ code: 'P2002', meta: { modelName: 'User', driverAdapterError: adapterError } })).toBe(true);
    expect(isUniqueViolation({ code: 'P2010', meta: { driverAdapterError: adapterError } })).toBe(true);
    // Without a driver adapter Prisma's query engine reports only the code.
    expect(isUniqueViolation({ code: 'P2002', meta: { target: ['email'] } })).toBe(true);
  });

  it('does not take other refusals for a duplicate', async () => {
    // A foreign key and a check constraint: refusals too, but not duplicates.
    for (const [sql, sqlstate] of [['INSERT INTO children VALUES (1, 2, 1)', '23503'], ['INSERT INTO children VALUES (1, 1, 0)', '23514']] as const) {
      for (const error of [await viaPg(sql), await viaAdapter(sql)]) {
        expect(postgresCode(error)).toBe(sqlstate);
        expect(isUniqueViolation(error)).toBe(false);
      }
    }
    expect(isUniqueViolation({ code: 'P2003', meta: { driverAdapterError: await viaAdapter('INSERT INTO children VALUES (1, 2, 1)') } })).toBe(false);
    expect(isUniqueViolation(new Error('duplicate key value violates unique constraint'))).toBe(false);
    expect(isUniqueViolation(null)).toBe(false);
  });
});
