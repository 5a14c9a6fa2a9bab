// Cart replicas as real processes, and a small HTTP client that never throws on a status, so
// tests can record exactly what each client saw.
import { fileURLToPath } from 'node:url';
import { testEnv } from '@anypod/platform/testing/env';
import { startService, type ServiceProcess } from '@anypod/platform/testing/processes';

const cartDir = fileURLToPath(new URL('..', import.meta.url));

export function startCart(name: string, env: { AUTH_JWKS_URL: string; CATALOG_URL: string } & Record<string, string>, port?: number): Promise<ServiceProcess> {
  return startService({ name, cwd: cartDir, env: testEnv({ LOG_LEVEL: 'warn', ...env }), ...(port ? { port } : {}) });
}

export interface Answer {
  status: number;
  headers: Headers;
  body: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-side JSON
}

export async function call(replica: { url: string }, method: string, path: string, opts: { token: string; body?: unknown; headers?: Record<string, string> }): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${opts.token}`, ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${replica.url}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const body = await res.text();
  return { status: res.status, headers: res.headers, body, json: () => JSON.parse(body) };
}

/** The error-level log lines of replicas, to explain an unexpected status in a failure message. */
export function errorLines(...replicas: ServiceProcess[]): string {
  return replicas
    .flatMap((replica) => replica.output().split('\n').filter((line) => line.includes('"level":50')).map((line) => `${replica.name}: ${line.slice(0, 2000)}`))
    .join('\n');
}
