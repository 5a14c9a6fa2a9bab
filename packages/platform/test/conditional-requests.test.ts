// The RFC 9110 §13.1.1/§13.1.2 cases, once for every service that uses conditional-requests.ts
// (catalog's products, cart's carts): the services' own tests check the routes built on it.
import { describe, expect, it } from 'vitest';
import { ifNoneMatchHits, parseIfMatch, strongEtag } from '../src/conditional-requests.ts';

// A resource whose tags are "v<n>", like the cart's.
const versionOf = (opaque: string) => {
  const match = /^v(\d{1,10})$/.exec(opaque);
  return match ? Number(match[1]) : undefined;
};

describe('strongEtag', () => {
  it('quotes the opaque value, without the weak prefix', () => {
    expect(strongEtag('sku-1.v3')).toBe('"sku-1.v3"');
  });
});

describe('parseIfMatch', () => {
  it('is missing when absent or empty (the route answers 428)', () => {
    expect(parseIfMatch(undefined, versionOf)).toEqual({ kind: 'missing' });
    expect(parseIfMatch('  ', versionOf)).toEqual({ kind: 'missing' });
  });

  it('reads `*` as any current representation only when it is the whole value', () => {
    expect(parseIfMatch('*', versionOf)).toEqual({ kind: 'any' });
    expect(parseIfMatch(' * ', versionOf)).toEqual({ kind: 'any' });
    // If-Match = "*" / #entity-tag: a list holding `*` is no wildcard, and `*` names no version.
    expect(parseIfMatch('"v1", *', versionOf)).toEqual({ kind: 'versions', versions: [1] });
  });

  it('names the versions of strong tags in a list, skipping empty members', () => {
    expect(parseIfMatch('"v1", "v3"', versionOf)).toEqual({ kind: 'versions', versions: [1, 3] });
    expect(parseIfMatch(',"v2",,', versionOf)).toEqual({ kind: 'versions', versions: [2] });
  });

  it('never matches a weak tag (strong comparison), an unquoted one or another resource’s', () => {
    expect(parseIfMatch('W/"v2"', versionOf)).toEqual({ kind: 'versions', versions: [] });
    expect(parseIfMatch('v2', versionOf)).toEqual({ kind: 'versions', versions: [] });
    expect(parseIfMatch('"sku-1.v2", "v"', versionOf)).toEqual({ kind: 'versions', versions: [] });
  });
});

describe('ifNoneMatchHits', () => {
  const current = strongEtag('v3');

  it('hits the current tag, strong or weak (weak comparison)', () => {
    expect(ifNoneMatchHits('"v3"', current)).toBe(true);
    expect(ifNoneMatchHits('W/"v3"', current)).toBe(true);
    expect(ifNoneMatchHits('"other", "v3"', current)).toBe(true);
  });

  it('hits on `*` (a current representation exists), not on `*` inside a list', () => {
    expect(ifNoneMatchHits('*', current)).toBe(true);
    expect(ifNoneMatchHits('"v1", *', current)).toBe(false);
  });

  it('misses when absent, empty or naming other versions', () => {
    expect(ifNoneMatchHits(undefined, current)).toBe(false);
    expect(ifNoneMatchHits('', current)).toBe(false);
    expect(ifNoneMatchHits('"v2", W/"v4"', current)).toBe(false);
    expect(ifNoneMatchHits('v3', current)).toBe(false);
  });
});
