// Free loopback ports, several at once: each stays bound until all are chosen, so the kernel
// cannot hand the same one out twice (calling freePort() n times can).
import { createServer, type Server } from 'node:net';

export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            if (typeof address === 'object' && address) resolve(address.port);
            else reject(new Error('no port'));
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/**
 * Throws, naming the ports, when any of them is taken: a readiness check on a taken port would be
 * answered by whatever holds it (another `make up`'s Prometheus), not by the process just started.
 */
export async function assertPortsFree(ports: { name: string; host: string; port: number }[]): Promise<void> {
  const taken: string[] = [];
  for (const { name, host, port } of ports) {
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, host, () => resolve(true));
    });
    if (free) await new Promise((resolve) => server.close(resolve));
    else taken.push(`${name} ${host}:${port}`);
  }
  if (taken.length) throw new Error(`in use already: ${taken.join(', ')} (another stack running? \`ss -ltnp\` shows who holds it; choose other ports or 0 for free ones)`);
}
