// The cart's entity tag is its version, so If-Match can be checked by the database in the same
// statement that changes the cart (RFC 9110 §13.1.1: If-Match uses the strong comparison).

export const cartEtag = (version: number): string => `"v${version}"`;

export type IfMatch =
  | { kind: 'missing' }
  | { kind: 'wildcard' }
  /** versions the client may have seen; weak or unknown tags never match (strong comparison) */
  | { kind: 'versions'; versions: number[] };

const STRONG_TAG = /^"v(\d{1,10})"$/;

export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined || header.trim() === '') return { kind: 'missing' };
  if (header.trim() === '*') return { kind: 'wildcard' };
  const versions = header
    .split(',')
    .map((tag) => STRONG_TAG.exec(tag.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => Number(match[1]))
    .filter((version) => Number.isSafeInteger(version));
  return { kind: 'versions', versions };
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison, so W/"v3" matches "v3". */
export function ifNoneMatchHits(header: string | undefined, version: number): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === cartEtag(version));
}
