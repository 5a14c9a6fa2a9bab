// The deletion policy on its own (the killer's schedule around it: proof-killer.test.ts): who can
// take a deletion, which replica goes, and how the rotation moves on.
import { describe, expect, it } from 'vitest';
import { canDisrupt, nextDeletion, oldestInRotation, type DeletionView } from '../cluster/deletion-policy.ts';
import type { ServiceName } from '../cluster/types.ts';

function view(replicas: Partial<Record<ServiceName, [string, boolean][]>>, extra: Partial<DeletionView> = {}): DeletionView {
  return {
    replicas: (service) => (replicas[service] ?? []).map(([name, inRotation]) => ({ name, inRotation })),
    replicasPerService: 2,
    deleting: new Set(),
    joinedAt: new Map(),
    ...extra,
  };
}

describe('deletion policy', () => {
  it('a service takes a deletion only at full strength, every replica in rotation, none being deleted', () => {
    expect(canDisrupt('cart', view({ cart: [['cart-a', true], ['cart-b', true]] }))).toBe(true);
    expect(canDisrupt('cart', view({ cart: [['cart-a', true]] }))).toBe(false);
    expect(canDisrupt('cart', view({ cart: [['cart-a', true], ['cart-b', false]] }))).toBe(false);
    expect(canDisrupt('cart', view({ cart: [['cart-a', true], ['cart-b', true]] }, { deleting: new Set<ServiceName>(['cart']) }))).toBe(false);
  });

  it('the replica longest in rotation goes first (never-seen ones count as oldest), ties by name', () => {
    const replicas = { auth: [['auth-c', true], ['auth-b', true], ['auth-a', false]] as [string, boolean][] };
    expect(oldestInRotation('auth', view(replicas))).toBe('auth-b');
    expect(oldestInRotation('auth', view(replicas, { joinedAt: new Map([['auth-b', 20], ['auth-c', 10]]) }))).toBe('auth-c');
    expect(oldestInRotation('auth', view(replicas, { joinedAt: new Map([['auth-b', 20]]) }))).toBe('auth-c');
  });

  it('the rotation skips a service that cannot take a deletion, wraps around, and gives nothing when none can', () => {
    const full = view({ cart: [['cart-a', true], ['cart-b', true]], auth: [['auth-a', true], ['auth-b', true]], catalog: [['catalog-a', true], ['catalog-b', true]] });
    const rotation: ServiceName[] = ['cart', 'auth', 'cart', 'catalog'];
    expect(nextDeletion(rotation, 0, full)).toEqual({ service: 'cart', replica: 'cart-a', nextTurn: 1 });
    expect(nextDeletion(rotation, 3, full)).toEqual({ service: 'catalog', replica: 'catalog-a', nextTurn: 0 });
    const cartBusy = { ...full, deleting: new Set<ServiceName>(['cart']) };
    expect(nextDeletion(rotation, 2, cartBusy)).toEqual({ service: 'catalog', replica: 'catalog-a', nextTurn: 0 });
    expect(nextDeletion(rotation, 0, cartBusy)).toEqual({ service: 'auth', replica: 'auth-a', nextTurn: 2 });
    expect(nextDeletion(['cart'], 0, cartBusy)).toBeUndefined();
  });
});
