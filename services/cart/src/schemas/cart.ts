import { LineQuantity, MAX_LINES, ProductId } from '@anypod/contracts';
import { strongEtag } from '@anypod/platform';
import { Type, type Static } from '@sinclair/typebox';

// Catalog's product ids and the line limits are catalog's too (checkout reserves every line):
// @anypod/contracts defines them.
export { MAX_LINE_QUANTITY } from '@anypod/contracts';
export const MAX_CART_LINES = MAX_LINES;
/** One add moves at most 100 units; a line holds at most MAX_LINE_QUANTITY. */
export const AddQuantity = Type.Integer({ minimum: 1, maximum: 100 });

export const CartLineSchema = Type.Object({ productId: ProductId, quantity: LineQuantity });
export type CartLine = Static<typeof CartLineSchema>;

export const CartSchema = Type.Object({
  lines: Type.Array(CartLineSchema, { maxItems: MAX_CART_LINES }),
  version: Type.Integer({ minimum: 0, description: 'grows on every change; the ETag is derived from it' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'null for a cart never written' }),
});
export type Cart = Static<typeof CartSchema>;

// The cart's entity tag is its version, so If-Match can be checked by the database in the same
// statement that changes the cart (RFC 9110 §13.1.1: If-Match uses the strong comparison).
export const cartEtag = (version: number): string => strongEtag(`v${version}`);

/** The version a cart tag ("v<n>") names; other tags name none. */
export function cartVersionOf(opaque: string): number | undefined {
  const version = Number(/^v(\d{1,10})$/.exec(opaque)?.[1] ?? Number.NaN);
  return Number.isSafeInteger(version) ? version : undefined;
}

export const AddItemSchema = Type.Object({ productId: ProductId, quantity: AddQuantity }, { additionalProperties: false });
export type AddItem = Static<typeof AddItemSchema>;

export const SetQuantitySchema = Type.Object({ quantity: LineQuantity }, { additionalProperties: false });
export type SetQuantity = Static<typeof SetQuantitySchema>;

export const ProductParamsSchema = Type.Object({ productId: ProductId }, { additionalProperties: false });

// RFC 9110 §8.8.3 entity-tag (strong or weak), bounded; lists are allowed in If-Match.
const EntityTagList = Type.String({ minLength: 1, maxLength: 512 });
// The IETF draft makes the key a Structured Field string ("…"); bare tokens (Stripe's form) are
// accepted too. 8..128 characters from a URL-safe set: long enough for a UUID, short enough to index.
export const IDEMPOTENCY_KEY_PATTERN = '^(?:[A-Za-z0-9._:~+/=-]{8,128}|"[A-Za-z0-9._:~+/=-]{8,128}")$';
const IdempotencyKey = Type.String({ pattern: IDEMPOTENCY_KEY_PATTERN, minLength: 8, maxLength: 130, description: '8..128 characters of A-Z a-z 0-9 . _ : ~ + / = -, optionally quoted' });

export const RequiredKeyHeadersSchema = Type.Object({ 'idempotency-key': IdempotencyKey });
export const EditHeadersSchema = Type.Object({
  // Required, and its absence is 428 rather than 400 (problem.ts): RFC 6585 §3.
  'if-match': EntityTagList,
  'idempotency-key': Type.Optional(IdempotencyKey),
});
export const ReadHeadersSchema = Type.Object({ 'if-none-match': Type.Optional(EntityTagList) });

export const OrderLineSchema = Type.Object({
  productId: ProductId,
  quantity: LineQuantity,
  unitPriceCents: Type.Integer({ minimum: 0 }),
});
export type OrderLine = Static<typeof OrderLineSchema>;

export const OrderSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  lines: Type.Array(OrderLineSchema, { maxItems: MAX_CART_LINES }),
  totalCents: Type.Integer({ minimum: 0 }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Order = Static<typeof OrderSchema>;

export const OrderListSchema = Type.Object({ orders: Type.Array(OrderSchema, { maxItems: 100 }) });
export const OrderListQuerySchema = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })) }, { additionalProperties: false });
export const OrderParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
