// A gate in front of the real catalog, for catching a checkout at the exact moment a test needs:
// every request passes straight through, except the next one matching what the test armed the
// gate for, which is held on arrival until the test says what happens to it — forwarded and
// answered, forwarded with the answer withheld (catalog did the work, the caller never hears of
// it: the worst moment for a replica to die). It also records what each request carried (the
// headers cart puts on the wire). Catalog itself is never faked.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldCall {
  method: string;
  path: string;
  body: string;
  /** forwards to catalog and sends its answer back to the caller */
  pass(): Promise<CatalogAnswer>;
  /** forwards to catalog, and never answers the caller (its connection is closed when the gate closes) */
  passAndWithhold(): Promise<CatalogAnswer>;
}

export interface CatalogAnswer {
  status: number;
  body: string;
}

export interface CatalogGate {
  url: string;
  /** every request that reached the gate, in arrival order, with the headers it carried */
  seen: Array<{ method: string; path: string; headers: Record<string, string> }>;
  /** holds the next request for which `match` is true; resolves when it has arrived */
  arm(match: (call: { method: string; path: string }) => boolean): Promise<HeldCall>;
  close(): Promise<void>;
}

const FORWARDED_HEADERS = ['content-type', 'authorization', 'accept', 'traceparent'];

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

export async function startCatalogGate(catalogUrl: string): Promise<CatalogGate> {
  const armed: Array<{ match: (call: { method: string; path: string }) => boolean; arrived: (call: HeldCall) => void }> = [];
  const open = new Set<ServerResponse>();
  const seen: CatalogGate['seen'] = [];

  const forward = async (method: string, path: string, headers: Record<string, string>, body: string): Promise<CatalogAnswer> => {
    const answer = await fetch(`${catalogUrl}${path}`, { method, headers, body: body || undefined });
    return { status: answer.status, body: await answer.text() };
  };

  const server = createServer(async (request, response) => {
    open.add(response);
    response.on('close', () => open.delete(response));
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    const body = await readBody(request);
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    seen.push({ method, path, headers });
    const answer = (a: CatalogAnswer) => {
      if (!response.writableEnded && !response.destroyed) response.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
      return a;
    };
    const index = armed.findIndex((a) => a.match({ method, path }));
    if (index < 0) {
      answer(await forward(method, path, headers, body).catch(() => ({ status: 502, body: '{}' })));
      return;
    }
    const [trap] = armed.splice(index, 1);
    trap?.arrived({
      method,
      path,
      body,
      pass: async () => answer(await forward(method, path, headers, body)),
      passAndWithhold: () => forward(method, path, headers, body),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    arm: (match) => new Promise<HeldCall>((arrived) => armed.push({ match, arrived })),
    close: () =>
      new Promise((resolve) => {
        for (const response of open) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const isReservation = ({ method, path }: { method: string; path: string }) => method === 'POST' && path === '/catalog/stock/reservations';
export const isConfirmation = ({ method, path }: { method: string; path: string }) => method === 'POST' && path.endsWith('/confirm');
