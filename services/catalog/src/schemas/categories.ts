import { Type, type Static } from '@sinclair/typebox';
import { CategoryId } from './products.ts';

export const CategorySchema = Type.Object({ id: CategoryId, name: Type.String({ minLength: 1, maxLength: 128 }) });
export type Category = Static<typeof CategorySchema>;

export const CategoryListSchema = Type.Object({ items: Type.Array(CategorySchema, { maxItems: 1000 }) });
