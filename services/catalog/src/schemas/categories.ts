import { Type, type Static } from '@sinclair/typebox';
import { StoredText } from '@anypod/platform';
import { CategoryId } from './products.ts';

export const CategorySchema = Type.Object({ id: CategoryId, name: StoredText({ minLength: 1, maxLength: 128 }) });
export type Category = Static<typeof CategorySchema>;

export const CategoryListSchema = Type.Object({ items: Type.Array(CategorySchema, { maxItems: 1000 }) });
