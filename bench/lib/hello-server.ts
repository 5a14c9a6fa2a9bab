// The limit: Fastify's own hello-world (a JSON body from a route with a response schema), nothing
// else — no plugins, no logging. `make bench` runs it on the same Node and CPU as the services.
//   node bench/lib/hello-server.ts   prints "listening <port>" and serves until SIGTERM
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', { schema: { response: { 200: { type: 'object', properties: { hello: { type: 'string' } } } } } }, async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
