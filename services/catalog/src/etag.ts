// Strong ETags for products, derived from id and version: every write bumps the version, so the
// tag changes exactly when the representation does (RFC 9110 §8.8.3).

export const etagOf = (product: { id: string; version: number }) => `"${product.id}.v${product.version}"`;

const tagsOf = (header: string) =>
  header
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** If-None-Match uses the weak comparison: W/"x" matches "x" (RFC 9110 §13.1.2). */
export function noneMatchHits(header: string | undefined, current: string): boolean {
  if (!header) return false;
  return tagsOf(header).some((tag) => tag === '*' || tag.replace(/^W\//, '') === current);
}

/**
 * The versions an If-Match header accepts for this product: 'any' for `*`, otherwise the versions
 * named by strong tags of this id (weak tags never match for If-Match, RFC 9110 §13.1.1). An empty
 * list means nothing can match: the caller answers 412.
 */
export function ifMatchVersions(header: string, productId: string): number[] | 'any' {
  const versions: number[] = [];
  for (const tag of tagsOf(header)) {
    if (tag === '*') return 'any';
    const match = /^"([a-z0-9-]{1,64})\.v(\d{1,9})"$/.exec(tag);
    if (match && match[1] === productId) versions.push(Number(match[2]));
  }
  return versions;
}
