// A TCP link between a client and a server that a test switches between three states, for the
// two ways a dependency becomes unreachable: `refuse` (nothing there: open connections reset,
// new ones refused at once — tcp-fault.ts's cut) and `lose-answers` (requests still arrive and
// take effect, but no answer ever comes back: a partition or an overloaded peer, where the
// client cannot know whether its request was applied). The switch applies to open connections
// too, so a keep-alive pool cannot dodge it.
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export type LinkState = 'pass' | 'refuse' | 'lose-answers';

export interface LossyLink {
  /** the port clients connect to (127.0.0.1) */
  readonly port: number;
  set(state: LinkState): void;
  close(): Promise<void>;
}

export async function lossyLink(targetPort: number, targetHost = '127.0.0.1'): Promise<LossyLink> {
  let state: LinkState = 'pass';
  const open = new Set<Socket>();
  const server = createServer((front) => {
    if (state === 'refuse') return void front.resetAndDestroy();
    const back = connect(targetPort, targetHost);
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
      if (next === 'refuse') for (const socket of open) socket.resetAndDestroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
