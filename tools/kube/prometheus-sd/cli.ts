// The pod discovery of the node's Prometheus (see pod-targets.ts for why it exists): answers
// Prometheus' http_sd_configs with the cluster's pods, listed from the API on every poll.
//   node --import tsx tools/kube/prometheus-sd/cli.ts --kubeconfig FILE --listen 127.0.0.1:PORT
// GET /targets: the target groups (Prometheus polls it every refresh_interval, 5 s here). A list
// per poll instead of a watch: one small request every few seconds costs the API server nothing,
// and a list cannot miss a deletion the way a broken watch can; when the API does not answer,
// the poll fails (503) and Prometheus keeps the targets it had, as its own discovery would.
// stdout, first line: `prometheus-sd: http://HOST:PORT/targets` once the API has answered a
// first list. SIGTERM/SIGINT: exit 0.
import { createServer } from 'node:http';
import { CoreV1Api } from '@kubernetes/client-node';
import { Type } from '@sinclair/typebox';
import { parseOrUsage, readInput } from '../../config/cli-input.ts';
import { loadKubeConfig } from '../gateway/watch.ts';
import { podTargetGroups } from './pod-targets.ts';

const USAGE = 'usage: node --import tsx tools/kube/prometheus-sd/cli.ts --kubeconfig FILE --listen HOST:PORT';

function fail(message: string): never {
  process.stderr.write(`prometheus-sd: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** The flags, read by the tools' one input reader (bad input: one line naming the flag, the usage, exit 2). */
const SdInputSchema = Type.Object({
  kubeconfig: Type.String({ minLength: 1, flag: '--kubeconfig', description: 'a kubeconfig file (no default kubeconfig is ever used)' }),
  listen: Type.String({ pattern: '^.+:\\d+$', flag: '--listen', description: 'HOST:PORT' }),
});
const input = parseOrUsage(() => readInput(SdInputSchema, { argv: process.argv.slice(2) }), USAGE);
if (!input) process.exit(2);
const [, host = '', port = ''] = /^(.+):(\d+)$/.exec(input.listen) ?? [];

const core = loadKubeConfig(input.kubeconfig).makeApiClient(CoreV1Api);
const targets = async (): Promise<string> => JSON.stringify(podTargetGroups((await core.listPodForAllNamespaces()).items));

// The API must answer once before this says it is ready (kube-up waits for that line).
try {
  await targets();
} catch (error) {
  fail(`the API did not answer a list of pods: ${(error as Error).message}`);
}

let failing = false;
const server = createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/targets') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /targets\n');
    return;
  }
  targets().then(
    (body) => {
      if (failing) process.stderr.write('prometheus-sd: listing pods works again\n');
      failing = false;
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    },
    (error: Error) => {
      if (!failing) process.stderr.write(`prometheus-sd: listing pods failed (${error.message}); Prometheus keeps its targets until it works again\n`);
      failing = true;
      res.writeHead(503, { 'content-type': 'text/plain' }).end(`listing pods failed: ${error.message}\n`);
    },
  );
});
server.listen(Number(port), host, () => {
  process.stdout.write(`prometheus-sd: http://${host}:${port}/targets\n`);
});

const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
