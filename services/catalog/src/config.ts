// What catalog reads from its environment (every variable described: .env.example is generated
// from this).
import { Type, type Static } from '@sinclair/typebox';
import { BaseConfigSchema, defineServiceConfig, TokenVerifierConfigSchema } from '@anypod/platform';

export const CatalogConfigSchema = Type.Composite([
  BaseConfigSchema,
  TokenVerifierConfigSchema,
  Type.Object({
    // Short TTLs bound how stale a cached entry can get if an invalidation is lost (Redis down
    // during a write); every write invalidates explicitly, so they are a backstop, not the mechanism.
    CACHE_PRODUCT_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 30, description: 'seconds a product is cached in Redis' }),
    CACHE_LISTING_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 10, description: 'seconds a listing page is cached in Redis' }),
    // A checkout says how long it needs its stock held (cart: services/cart/README.md, "Timing");
    // this caps it, so a caller that never confirms can keep stock away from others only briefly.
    RESERVATION_MAX_HOLD_SECONDS: Type.Integer({ minimum: 5, maximum: 3600, default: 120, description: 'longest a stock reservation is held unconfirmed before it expires and its stock returns' }),
    RESERVATION_SWEEP_SECONDS: Type.Integer({ minimum: 1, maximum: 300, default: 5, description: 'how often each replica returns the stock of expired reservations' }),
  }),
]);
export type CatalogConfig = Static<typeof CatalogConfigSchema>;

export const catalogConfig = defineServiceConfig('catalog', CatalogConfigSchema);
