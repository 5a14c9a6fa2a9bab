// Which database failures are the moment's (retry later: 503 + Retry-After) and which are the
// request's or the code's (4xx / 500). Prisma reports the cause in different places depending on
// the query kind: a model query throws the adapter's DriverAdapterError with the Postgres error
// under `cause`; a raw query wraps it in P2010 with `meta.driverAdapterError.cause`; a deadlock
// carries only `originalCode`; connection failures come as socket codes or Prisma P1xxx codes.
// A constraint violation is never "unavailable" — answering 503 would make clients retry a
// request that can never succeed.

type ErrorNode = { code?: unknown; originalCode?: unknown; kind?: unknown; name?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };

/** The error and everything it wraps (bounded: causes can be cyclic). */
function chain(error: unknown): ErrorNode[] {
  const nodes: ErrorNode[] = [];
  const queue: unknown[] = [error];
  while (queue.length && nodes.length < 8) {
    const node = queue.shift();
    if (!node || typeof node !== 'object' || nodes.includes(node as ErrorNode)) continue;
    nodes.push(node as ErrorNode);
    queue.push((node as ErrorNode).cause, (node as ErrorNode).meta?.driverAdapterError);
  }
  return nodes;
}

/** The five-character SQLSTATE behind an error, if there is one. */
export function postgresCode(error: unknown): string | undefined {
  for (const node of chain(error)) {
    for (const code of [node.originalCode, node.code]) {
      if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('P')) return code;
    }
  }
  return undefined;
}

/**
 * A unique constraint refused the write: the request's conflict (409), never the database's
 * trouble. A model query reports it as Prisma's P2002, a raw query as P2010 around SQLSTATE 23505;
 * with the driver adapter both carry the 23505 underneath.
 */
export function isUniqueViolation(error: unknown): boolean {
  return postgresCode(error) === '23505' || chain(error).some((node) => node.code === 'P2002');
}

// Connection exceptions (class 08), admin shutdown / crash recovery, too many connections, out of
// resources, statement or lock timeout, serialization failure and deadlock (Postgres rolled the
// transaction back; running it again is safe).
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '53400', '57014', '55P03', '40001', '40P01']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError', 'TransactionWriteConflict']);
// P1001 can't reach, P1002 timed out, P1017 server closed, P2024 pool timeout, P2028 transaction API error (no slot in time)
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024', 'P2028']);
const MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Can't reach database|Client has encountered a connection error/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  const sqlstate = postgresCode(error);
  if (sqlstate && (TRANSIENT_SQLSTATES.has(sqlstate) || sqlstate.startsWith('08'))) return true;
  return chain(error).some(
    (node) =>
      (typeof node.code === 'string' && (SOCKET_CODES.has(node.code) || PRISMA_CODES.has(node.code))) ||
      (typeof node.kind === 'string' && ADAPTER_KINDS.has(node.kind)) ||
      node.name === 'PrismaClientInitializationError' ||
      (typeof node.message === 'string' && MESSAGES.test(node.message)),
  );
}
