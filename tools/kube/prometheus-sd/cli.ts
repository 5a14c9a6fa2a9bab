// The pod discovery of the node's Prometheus (see pod-targets.ts for why it exists): watches the
// cluster's pods through the API and answers Prometheus' http_sd_configs with them.
//   node --import tsx tools/kube/prometheus-sd/cli.ts --kubeconfig FILE --listen 127.0.0.1:PORT
// GET /targets: the target groups (Prometheus polls it, refresh_interval). stdout, first line:
// `prometheus-sd: http://HOST:PORT/targets` once the first list is in. SIGTERM/SIGINT: exit 0.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { CoreV1Api, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { loadKubeConfig } from '../gateway/watch.ts';
import { podTargetGroups } from './pod-targets.ts';

const USAGE = 'usage: node --import tsx tools/kube/prometheus-sd/cli.ts --kubeconfig FILE --listen HOST:PORT';
const RETRY_MS = 1000;

function fail(message: string): never {
  process.stderr.write(`prometheus-sd: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({ options: { kubeconfig: { type: 'string' }, listen: { type: 'string' } }, strict: true });
  } catch (error) {
    return fail((error as Error).message);
  }
})();
if (!values.kubeconfig) fail('--kubeconfig is required (no default kubeconfig is ever used)');
const listen = /^(.+):(\d+)$/.exec(values.listen ?? '');
if (!listen) fail(`--listen must be HOST:PORT, got '${values.listen ?? ''}'`);
const [, host = '', port = ''] = listen;

const kc = loadKubeConfig(values.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const informer = makeInformer<V1Pod>(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
let stopping = false;
// client-node's informer stops on an error other than a 410: start it again a second later.
informer.on('error', (error: unknown) => {
  if (stopping) return;
  process.stderr.write(`prometheus-sd: watching pods failed (${(error as Error).message}); retrying in ${RETRY_MS} ms\n`);
  setTimeout(() => void informer.start().catch(() => {}), RETRY_MS);
});
await informer.start();

const server = createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/targets') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /targets\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(podTargetGroups(informer.list())));
});
server.listen(Number(port), host, () => {
  process.stdout.write(`prometheus-sd: http://${host}:${port}/targets\n`);
});

const stop = () => {
  stopping = true;
  void informer.stop();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
