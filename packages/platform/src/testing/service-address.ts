// A stable TCP address in front of a test's own Postgres or Redis, like a Kubernetes Service in
// front of its pod: the apps are given this address once, the test stops the server behind it
// and starts a new one (possibly on another port), and the apps never learn that anything but
// the connection changed. While nothing is routed it resets every connection, as a Service with
// no ready endpoints does. Held by the test from start to end, so no other process can take the
// apps' address while the server is down.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface ServiceAddress {
  /** the port the apps connect to (127.0.0.1) */
  readonly port: number;
  /** sends new connections to this backend port; undefined: cuts every open connection and resets new ones */
  route(backendPort: number | undefined): void;
  close(): Promise<void>;
}

export async function serviceAddress(): Promise<ServiceAddress> {
  let backend: number | undefined;
  const open = new Set<Socket>();
  const server = createServer((front) => {
    if (backend === undefined) return void front.resetAndDestroy();
    const back = connect(backend, '127.0.0.1');
    const close = () => {
      for (const socket of [front, back]) {
        socket.destroy();
        open.delete(socket);
      }
    };
    for (const socket of [front, back]) socket.on('error', close).on('close', close);
    open.add(front).add(back);
    front.pipe(back).pipe(front);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    route(backendPort) {
      backend = backendPort;
      if (backendPort === undefined) for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
