// Conditional requests (RFC 9110 §13), written once for every service: a resource's strong ETag,
// what an If-Match header names, and whether an If-None-Match header hits. Each resource says
// only how its version is written inside its tag (a product: "<id>.v<n>", a cart: "v<n>"); the
// header grammar, the weak/strong comparisons and `*` are the same everywhere.

/** A strong entity tag (RFC 9110 §8.8.3) around an opaque value that changes with every write. */
export const strongEtag = (opaque: string): string => `"${opaque}"`;

/** What an If-Match header asks for. */
export type IfMatch<Version> =
  | { kind: 'missing' }
  /** `*`: any current representation (RFC 9110 §13.1.1) — the route decides whether it accepts that */
  | { kind: 'any' }
  /** the versions the client may have seen; weak or foreign tags never match (strong comparison) */
  | { kind: 'versions'; versions: Version[] };

/** The field's list members: empty members are allowed and ignored (RFC 9110 §5.6.1). */
const members = (header: string) =>
  header
    .split(',')
    .map((member) => member.trim())
    .filter(Boolean);

// `*` is the whole field value or nothing (If-Match = "*" / #entity-tag): inside a list it is no tag.
const isWildcard = (header: string) => header.trim() === '*';

const STRONG_TAG = /^"([\x21\x23-\x7e]*)"$/;
const WEAK_PREFIX = /^W\//;

/**
 * Parses If-Match: missing (absent or empty), `*`, or the versions named by this resource's strong
 * tags. `versionOf` reads a version out of a strong tag's opaque value (undefined: not a tag of this
 * resource); weak tags never reach it. An empty list means nothing can match: the caller answers 412.
 */
export function parseIfMatch<Version>(header: string | undefined, versionOf: (opaque: string) => Version | undefined): IfMatch<Version> {
  if (header === undefined || header.trim() === '') return { kind: 'missing' };
  if (isWildcard(header)) return { kind: 'any' };
  const versions: Version[] = [];
  for (const member of members(header)) {
    const opaque = STRONG_TAG.exec(member)?.[1];
    const version = opaque === undefined ? undefined : versionOf(opaque);
    if (version !== undefined) versions.push(version);
  }
  return { kind: 'versions', versions };
}

/**
 * Whether If-None-Match hits the current ETag (the answer is then 304 for a read): `*` hits any
 * current representation; otherwise the weak comparison, so W/"x" matches "x" (RFC 9110 §13.1.2).
 */
export function ifNoneMatchHits(header: string | undefined, currentEtag: string): boolean {
  if (header === undefined || header.trim() === '') return false;
  if (isWildcard(header)) return true;
  const current = currentEtag.replace(WEAK_PREFIX, '');
  return members(header).some((tag) => tag.replace(WEAK_PREFIX, '') === current);
}
