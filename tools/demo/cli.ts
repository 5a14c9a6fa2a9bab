// First act of `make demo`: three auth replicas behind the local Ingress and a scripted
// register → login → me → refresh → logout → me walk, printing which replica answered each step.
//   node --import tsx tools/demo/cli.ts
import { startCluster } from '../cluster/index.ts';
import { walkthrough } from './walkthrough.ts';

const cluster = await startCluster({ services: ['auth'], replicas: 3, ingressPort: 0, migrate: false, runDir: '/tmp/anypod/demo-walkthrough' });
let failed = false;
try {
  await cluster.waitForFullStrength(60_000);
  console.log(`\nWalk-through: the auth API through the Ingress (${cluster.ingressUrl}), 3 replicas, round-robin\n`);
  await walkthrough(cluster.ingressUrl);
  console.log('');
} catch (error) {
  failed = true;
  console.error(`walk-through failed: ${(error as Error).message}`);
} finally {
  await cluster.stop();
}
process.exit(failed ? 1 : 0);
