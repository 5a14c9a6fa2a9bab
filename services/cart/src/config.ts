// What cart reads from its environment (every variable described: .env.example is generated
// from this). Its checkout timings are derived from three of them (src/lib/checkout-timing.ts),
// so they need no rules across variables.
import { Type, type Static } from '@sinclair/typebox';
import { BaseConfigSchema, defineServiceConfig, TokenVerifierConfigSchema } from '@anypod/platform';

export const CartConfigSchema = Type.Composite([
  BaseConfigSchema,
  TokenVerifierConfigSchema,
  Type.Object({
    CATALOG_URL: Type.String({
      pattern: '^https?://',
      maxLength: 2048,
      description: 'where checkout reserves stock and learns prices (in Kubernetes: http://catalog:3000)',
      examples: ['http://127.0.0.1:8080'],
    }),
    // These three decide every other timing of a checkout (src/lib/checkout-timing.ts, README "Timing of a checkout").
    CATALOG_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 10_000, default: 1000, description: 'per-attempt timeout of a catalog call in ms (a reservation is one short transaction)' }),
    CATALOG_RETRIES: Type.Integer({ minimum: 0, maximum: 2, default: 2, description: 'retries of a catalog call (same reservation id)' }),
    IDEMPOTENCY_LEASE_SECONDS: Type.Integer({
      minimum: 1,
      maximum: 60,
      default: 5,
      description: 'seconds after its last heartbeat before a checkout whose replica died or hung may be taken over by a retry',
    }),
    IDEMPOTENCY_TTL_HOURS: Type.Integer({ minimum: 24, maximum: 24 * 30, default: 24, description: 'hours an Idempotency-Key is remembered (at least 24)' }),
  }),
]);
export type CartConfig = Static<typeof CartConfigSchema>;

export const cartConfig = defineServiceConfig('cart', CartConfigSchema);
