// Read-through cache in Redis for products and listing pages (cache-aside, reliability.md).
//
// - Writes invalidate: after the database commit, a product's key is deleted and its generation
//   bumped, and the listing generation is bumped so every cached page becomes stale at once.
// - Each entry stores the generation it was loaded under. A reader compares it with the current
//   generation (one MGET), so a slow reader that loaded *before* a write and stores its result
//   *after* the invalidation cannot resurrect stale data: its entry carries the old generation.
// - Misses are single-flight per process: concurrent readers of one cold key share one Postgres
//   load. Replicas each load at most once per key per TTL, which is why no cross-replica lock.
// - Redis is optional. The shared client fails fast (enableOfflineQueue: false), so any Redis
//   error means "bypass": read Postgres, answer, and try Redis again on the next request —
//   caching resumes by itself once ioredis has reconnected.
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { cacheLoadsCounter, cacheRequestsCounter } from '@anypod/platform/anypod-metrics';
import type { Registry } from 'prom-client';

export type CacheOutcome = 'hit' | 'miss' | 'bypass';
export interface Cached<T> {
  value: T;
  cache: CacheOutcome;
}
const KINDS = ['product', 'listing'] as const;
type Kind = (typeof KINDS)[number];

const PREFIX = 'catalog:';
const LISTING_GENERATION = `${PREFIX}listing-gen`;
const productKey = (id: string) => `${PREFIX}product:${id}`;
const productGeneration = (id: string) => `${PREFIX}product-gen:${id}`;
const listingKey = (normalizedQuery: string) => `${PREFIX}listing:${createHash('sha256').update(normalizedQuery).digest('base64url')}`;
// Generation keys must outlive any entry stored under them (entries live seconds to an hour).
const GENERATION_TTL_MS = 24 * 3600_000;

export interface CacheOptions {
  productTtlMs: number;
  listingTtlMs: number;
}

export class ReadThroughCache {
  /** Postgres loads performed through the cache (the single-flight tests read this). */
  loads = 0;
  private readonly flights = new Map<string, Promise<unknown>>();
  /** bumped by every local write, so a read after it never joins a flight that started before */
  private localEpoch = 0;
  private readonly requests;
  private readonly loadCounter;

  constructor(
    private readonly redis: Redis,
    private readonly log: FastifyBaseLogger,
    private readonly opts: CacheOptions,
    registry: Registry,
  ) {
    this.requests = cacheRequestsCounter(registry, KINDS);
    this.loadCounter = cacheLoadsCounter(registry, KINDS);
  }

  product<T>(id: string, load: () => Promise<T>): Promise<Cached<T>> {
    return this.read('product', productKey(id), productGeneration(id), this.opts.productTtlMs, load);
  }

  /** `normalizedQuery` must be the same string for every spelling of the same query. */
  listing<T>(normalizedQuery: string, load: () => Promise<T>): Promise<Cached<T>> {
    return this.read('listing', listingKey(normalizedQuery), LISTING_GENERATION, this.opts.listingTtlMs, load);
  }

  /** Call after the database commit of any change to these products (or their existence). */
  async invalidate(productIds: string[]): Promise<void> {
    this.localEpoch++;
    try {
      await invalidateProducts(this.redis, productIds);
    } catch (error) {
      // The write itself succeeded; what other replicas may still serve is bounded by the TTLs.
      this.log.warn({ err: (error as Error).message, productIds }, 'cache invalidation failed; cached entries expire within their TTL');
    }
  }

  private async read<T>(kind: Kind, key: string, generationKey: string, ttlMs: number, load: () => Promise<T>): Promise<Cached<T>> {
    let generation: string | undefined;
    try {
      const [raw, current] = await this.redis.mget(key, generationKey);
      generation = current ?? '0';
      const entry = raw ? parseEntry<T>(raw) : undefined;
      if (entry && entry.g === generation) {
        this.requests.inc({ cache: kind, result: 'hit' });
        return { value: entry.v, cache: 'hit' };
      }
    } catch (error) {
      this.log.debug({ err: (error as Error).message }, 'cache unavailable; reading Postgres');
    }
    const outcome: CacheOutcome = generation === undefined ? 'bypass' : 'miss';
    this.requests.inc({ cache: kind, result: outcome });
    const flightKey = `${key}|${generation ?? 'bypass'}|${this.localEpoch}`;
    const value = await this.singleFlight(flightKey, async () => {
      this.loads++;
      this.loadCounter.inc({ cache: kind });
      const loaded = await load();
      if (generation !== undefined) {
        await this.redis.set(key, JSON.stringify({ g: generation, v: loaded }), 'PX', ttlMs).catch((error: Error) => this.log.debug({ err: error.message }, 'could not fill cache'));
      }
      return loaded;
    });
    return { value, cache: outcome };
  }

  private singleFlight<T>(key: string, run: () => Promise<T>): Promise<T> {
    const inFlight = this.flights.get(key);
    if (inFlight) return inFlight as Promise<T>;
    const started = run().finally(() => this.flights.delete(key));
    this.flights.set(key, started);
    return started;
  }
}

/**
 * Deletes the products' entries and bumps their generations and the listing generation, in one
 * MULTI so no reader sees a half-done invalidation. Throws if Redis is unavailable. Also used by
 * the seed script, which writes outside any running app.
 */
export async function invalidateProducts(redis: Redis, productIds: string[]): Promise<void> {
  const tx = redis.multi();
  for (const id of productIds) tx.incr(productGeneration(id)).pexpire(productGeneration(id), GENERATION_TTL_MS).del(productKey(id));
  tx.incr(LISTING_GENERATION);
  const results = await tx.exec();
  const failed = results?.find(([error]) => error);
  if (!results || failed) throw failed?.[0] ?? new Error('transaction aborted');
}

function parseEntry<T>(raw: string): { g: string; v: T } | undefined {
  try {
    return JSON.parse(raw) as { g: string; v: T };
  } catch {
    return undefined; // a corrupt entry is a miss, never an error
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    cache: ReadThroughCache;
  }
}

export default fp(
  async (fastify: FastifyInstance, opts: CacheOptions) => {
    fastify.decorate('cache', new ReadThroughCache(fastify.redis, fastify.log, opts, fastify.metrics));
  },
  { name: 'cache', fastify: '5.x', dependencies: ['redis', 'metrics'] },
);
