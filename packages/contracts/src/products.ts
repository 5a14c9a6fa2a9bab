// A product as the services name it to each other, and the limits of one line of it.
import { Type } from '@sinclair/typebox';

/** Product ids are URL-safe slugs such as "sku-00042" (they appear in paths, ETags and cache keys). */
export const ProductId = Type.String({ pattern: '^[a-z0-9-]{1,64}$', minLength: 1, maxLength: 64, examples: ['sku-00042'] });

/** Lines in one cart, order or reservation: a cart's checkout reserves all its lines at once. */
export const MAX_LINES = 100;
/** Units of one product in a cart line, an order line or a reservation line. */
export const MAX_LINE_QUANTITY = 1000;
export const LineQuantity = Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY });
