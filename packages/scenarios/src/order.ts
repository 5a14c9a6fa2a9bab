// Helpers shared by the checker and the session statistics. A history is recorded when
// operations complete, but the models below must replay them in the order they were invoked.
import type { Operation, OperationKind } from './history.ts';

/** The kinds that change what the final read-back sees; the checker only looks at these. */
export const WRITE_KINDS: ReadonlySet<OperationKind> = new Set<OperationKind>(['add', 'set', 'remove', 'checkout']);

export function isWrite(op: Operation): boolean {
  return WRITE_KINDS.has(op.kind);
}

/**
 * The operations sorted by invocation time (start of their first attempt), stable for ties.
 * An operation that never sent a request keeps the position it has in the recorded array,
 * so it cannot jump ahead of the operations the VU ran before it.
 */
export function invocationOrder(operations: readonly Operation[]): Operation[] {
  let previous = Number.NEGATIVE_INFINITY;
  const keyed = operations.map((op, index) => {
    const first = op.attempts.length > 0 ? Math.min(...op.attempts.map((a) => a.startMs)) : undefined;
    previous = first ?? previous;
    return { op, index, at: previous };
  });
  keyed.sort((a, b) => a.at - b.at || a.index - b.index);
  return keyed.map((k) => k.op);
}
