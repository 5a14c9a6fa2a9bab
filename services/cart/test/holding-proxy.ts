// An HTTP proxy in front of catalog that forwards each request, lets catalog do the work, and
// then holds the answer back (never replies). A cart replica behind it is caught in the worst
// possible moment of a checkout: stock is reserved, the order is not yet written.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HoldingProxy {
  url: string;
  /** resolves when catalog has answered the first request (and the answer is being withheld) */
  firstAnswerHeld: Promise<{ status: number; body: string }>;
  close: () => Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

export async function startHoldingProxy(targetUrl: string): Promise<HoldingProxy> {
  let announce: (answer: { status: number; body: string }) => void = () => {};
  const firstAnswerHeld = new Promise<{ status: number; body: string }>((resolve) => (announce = resolve));
  const server: Server = createServer(async (request, _response) => {
    const body = await readBody(request);
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'authorization', 'accept']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await fetch(`${targetUrl}${request.url}`, { method: request.method, headers, body: body || undefined });
    announce({ status: answer.status, body: await answer.text() });
    // …and never respond: the caller waits until it times out or dies.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    firstAnswerHeld,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
