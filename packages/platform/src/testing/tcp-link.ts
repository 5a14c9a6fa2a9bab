// A TCP link between the apps under test and a real Postgres, Redis or service, held by the test
// from start to end, for every way a dependency becomes unreachable:
//   - set('refuse'): nothing there — open connections are reset, new ones reset at once (a
//     partition, a stopped server, a Service with no endpoints);
//   - set('lose-answers'): requests still arrive and take effect but no answer comes back (an
//     overloaded or partitioned peer: the client cannot know whether its request was applied);
//   - route(port): the server behind it changes, like a Kubernetes Service whose pod is replaced
//     (a restarted Redis on a fresh port); route(undefined) while there is none.
// The apps are given the link's port once and never learn more than that connections broke. It
// keeps its port while the server behind it is down, so no other process can take the address.
// A switch applies to open connections too, so a keep-alive pool cannot dodge it.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export type LinkState = 'pass' | 'refuse' | 'lose-answers';

export interface TcpLink {
  /** the port the apps connect to (127.0.0.1) */
  readonly port: number;
  set(state: LinkState): void;
  /** sends new connections to this backend port; undefined: nothing behind, as 'refuse' */
  route(backendPort: number | undefined): void;
  close(): Promise<void>;
}

/** A link to `targetPort` on `targetHost` (none yet: route() it later), passing everything. */
export async function tcpLink(targetPort?: number, targetHost = '127.0.0.1'): Promise<TcpLink> {
  let state: LinkState = 'pass';
  let backend = targetPort;
  const open = new Set<Socket>();
  const resetAll = () => {
    for (const socket of open) socket.resetAndDestroy();
    open.clear();
  };
  const server = createServer((front) => {
    if (state === 'refuse' || backend === undefined) return void front.resetAndDestroy();
    const back = connect(backend, targetHost);
    const close = () => {
      for (const socket of [front, back]) {
        socket.destroy();
        open.delete(socket);
      }
    };
    for (const socket of [front, back]) socket.on('error', close).on('close', close);
    open.add(front).add(back);
    // Requests always go through; answers only while the link passes them (dropped bytes are gone).
    front.pipe(back);
    back.on('data', (chunk: Buffer) => {
      if (state === 'pass') front.write(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    set(next) {
      state = next;
      if (next === 'refuse') resetAll();
    },
    route(backendPort) {
      backend = backendPort;
      if (backendPort === undefined) resetAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
