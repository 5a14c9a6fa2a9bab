// The project's own Postgres and Redis on this machine, as tools/infra/common.sh starts them
// (keep the ports and password in step with that file), and a free loopback port. Shared by the
// tests and the local cluster so the addresses are written down once on the TypeScript side.
import { createServer } from 'node:net';

export const LOCAL_DATABASE_URL = 'postgresql://anypod:anypod-local-only@127.0.0.1:55432/anypod';
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:56379';

/** A port nothing listens on right now (the kernel's choice; it may be handed out again later). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
