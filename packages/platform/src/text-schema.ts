// Free text that reaches Postgres (names, descriptions, search words): Postgres text cannot hold
// U+0000, so a NUL there was a 500 from the database (found by Schemathesis). The schema says so
// and rejects it with a 400 naming the field, and a generated client knows it up front.
import { Type, type StringOptions } from '@sinclair/typebox';

export const NO_NUL_PATTERN = '^[^\\u0000]*$';

export function StoredText(options: StringOptions = {}) {
  return Type.String({ ...options, pattern: NO_NUL_PATTERN });
}
