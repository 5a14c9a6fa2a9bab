// Seeds the release's catalog from this machine: the services' own seed scripts
// (tools/infra/seed.sh, idempotent upserts) against the release's Postgres pod, reached on its
// pod address over the project's bridge, with the password from the release's Secret.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../cluster/paths.ts';
import type { KubeCluster } from './kube-cluster.ts';
import { kubectl } from './kube-env.ts';

export async function seedReleaseCatalog(cluster: KubeCluster): Promise<void> {
  const { namespace, release, kubeconfig } = cluster.target;
  const pod = cluster.podsOf('postgres').find((p) => p.status?.podIP && !p.metadata?.deletionTimestamp);
  if (!pod?.status?.podIP) throw new Error(`no running Postgres pod in release ${release}`);
  const secret = `${release}-postgres`;
  const { stdout } = await kubectl(['get', 'secret', secret, '--namespace', namespace, '--output', 'jsonpath={.data.password}'], { kubeconfig });
  const password = Buffer.from(stdout.trim(), 'base64').toString('utf8');
  if (!password) throw new Error(`Secret ${secret} has no password`);
  const { stdout: values } = await kubectl(['get', 'statefulset', `${release}-postgres`, '--namespace', namespace, '--output', 'jsonpath={.spec.template.spec.containers[0].env}'], { kubeconfig });
  const env = JSON.parse(values) as Array<{ name: string; value?: string }>;
  const user = env.find((e) => e.name === 'POSTGRES_USER')?.value ?? 'anypod';
  const database = env.find((e) => e.name === 'POSTGRES_DB')?.value ?? 'anypod';
  const url = `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${pod.status.podIP}:5432/${encodeURIComponent(database)}`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'tools/infra/seed.sh')], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DATABASE_URL: url } });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seed.sh against ${release}'s Postgres exited with ${code}`))));
  });
}
