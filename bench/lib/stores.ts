// The local Postgres and Redis that tools/infra started (before the bench, by with-infra.sh): their
// PIDs from the files they keep, so the bench can move them to the load side's CPUs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@anypod/tools/cluster/index.ts';

const RUN_DIR = process.env.ANYPOD_RUN_DIR ?? '/tmp/anypod';

/** Postgres' postmaster and Redis' server PIDs; an error naming the file when either is not running. */
export function localStorePids(): { postgres: number; redis: number } {
  const pgPort = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL).port;
  const redisPort = new URL(process.env.REDIS_URL ?? DEFAULT_REDIS_URL).port;
  return {
    postgres: pidFrom(join(RUN_DIR, `pg-${pgPort}`, 'postmaster.pid')),
    redis: pidFrom(join(RUN_DIR, `redis-${redisPort}`, 'redis.pid')),
  };
}

function pidFrom(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: start Postgres and Redis first (make infra, or run through make bench)`);
  }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${file} holds no PID`);
  return pid;
}
