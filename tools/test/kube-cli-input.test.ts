// The one-node cluster's long-running helpers (the gateway fixture, the Prometheus pod discovery)
// read their flags with the tools' one input reader (tools/config/cli-input.ts): a bad flag is one
// line naming it, then the usage, and exit status 2 — before any kubeconfig is read or any
// process started. Run as their CLIs, as kube-up and the gateway test run them; what they do with
// good input is the gateway-api and kube-cluster tests' part.
import { describe, it } from 'vitest';
import { expectRefused } from './cli-refusal.ts';

describe('kube helpers: bad flags are refused by name, exit 2', () => {
  const gateway = 'tools/kube/gateway/cli.ts';
  const required = ['--kubeconfig', 'kubeconfig.yaml', '--dir', 'gateway-dir'];
  it.each([
    { args: [], says: '--kubeconfig is required: a kubeconfig file (no default kubeconfig is ever used)' },
    { args: ['--kubeconfig', 'kubeconfig.yaml'], says: '--dir is required: a directory' },
    { args: [...required, '--port', '65536'], says: '--port must be a port number, or 0 for a free one, got "65536"' },
    { args: [...required, '--port', '80.5'], says: '--port must be a port number, or 0 for a free one, got "80.5"' },
    { args: [...required, '--coalesce-ms=-1'], says: '--coalesce-ms must be milliseconds ≥ 0, got "-1"' },
    { args: [...required, '--routing', 'random'], says: '--routing must be round-robin or sticky, got "random"' },
    { args: [...required, '--namespace', 'Not_A_Name'], says: '--namespace must be a namespace name, got "Not_A_Name"' },
    { args: [...required, '--replicas', '3'], says: "Unknown option '--replicas'" },
  ])('gateway: $says', ({ args, says }) => expectRefused(gateway, args, says));

  const sd = 'tools/kube/prometheus-sd/cli.ts';
  it.each([
    { args: ['--listen', '127.0.0.1:9999'], says: '--kubeconfig is required' },
    { args: ['--kubeconfig', 'kubeconfig.yaml'], says: '--listen is required: HOST:PORT' },
    { args: ['--kubeconfig', 'kubeconfig.yaml', '--listen', '9999'], says: '--listen must be HOST:PORT, got "9999"' },
    { args: ['--kubeconfig', 'kubeconfig.yaml', '--listen', '127.0.0.1:port'], says: '--listen must be HOST:PORT, got "127.0.0.1:port"' },
  ])('prometheus-sd: $says', ({ args, says }) => expectRefused(sd, args, says));
});
