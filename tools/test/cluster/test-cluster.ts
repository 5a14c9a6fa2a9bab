// The local cluster a test starts, with what every such test needs written once: any free
// ingress port (tests run beside `make up` and each other), and the per-IP login budget lifted —
// every client here is 127.0.0.1 and shares that budget with every other test on this machine
// (same Redis), so account set-up must never meet a 429. The rest is the test's own choice.
import { startCluster } from '../../cluster/cluster.ts';
import type { Cluster, ClusterOptions } from '../../cluster/types.ts';

/** startCluster with those two settings; `env` adds to (or overrides) the lifted budget. */
export function startTestCluster(options: ClusterOptions & { runDir: string }): Promise<Cluster> {
  return startCluster({ ingressPort: 0, ...options, env: { LOGIN_RATE_LIMIT_PER_MINUTE: '100000', ...options.env } });
}
