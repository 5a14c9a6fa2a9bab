// The Ingress of the local cluster: the configs nginx is given are valid, round-robin spreads
// requests over the replicas, sticky routing pins one client (its Authorization header) to one
// replica, and endpoint changes (reloads) never break a keep-alive client's request.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from '../../cluster/cluster.ts';
import { renderEdgeConfig, renderRouterConfig, type RouteSpec } from '../../cluster/nginx-config.ts';
import { NGINX_BIN } from '../../cluster/nginx-master.ts';
import { openRaw, responseOf } from '@anypod/platform/testing/raw-http';
import { keepAliveLoad, newAccount } from '../../cluster/testing.ts';
import { loadManifests } from '../../cluster/manifests.ts';
import type { Cluster } from '../../cluster/types.ts';

const tmp = mkdtempSync(join(tmpdir(), 'anypod-ingress-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `nginx -t` on a rendered config, in its own prefix. */
function nginxAccepts(name: string, text: string): void {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  writeFileSync(join(dir, 'nginx.conf'), text);
  execFileSync(NGINX_BIN, ['-t', '-q', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'pipe' });
}

async function servedBy(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  expect(res.status).toBe(200);
  return res.headers.get('x-served-by') as string;
}

describe('rendered nginx configs', { tags: ['timing'] }, () => {
  const routes: RouteSpec[] = [
    { service: 'auth', prefix: '/auth', servers: [{ name: 'auth-aaaaa', port: 41001 }, { name: 'auth-bbbbb', port: 41002 }] },
    { service: 'catalog', prefix: '/catalog', servers: [] },
  ];

  it('are accepted by nginx -t: router (round-robin, sticky, a service without endpoints) and edge', () => {
    for (const routing of ['round-robin', 'sticky'] as const) {
      const dir = join(tmp, `router-${routing}`);
      const text = renderRouterConfig({ dir, port: 41000, routing, generation: 7, routes });
      nginxAccepts(`router-${routing}`, text);
      expect(text.includes('hash $http_authorization consistent;')).toBe(routing === 'sticky');
    }
    nginxAccepts('edge', renderEdgeConfig({ dir: join(tmp, 'edge'), port: 41010, routerPort: 41000 }));
    const socket = join(tmp, 'router-socket', 'router.sock');
    const router = renderRouterConfig({ dir: join(tmp, 'router-socket'), port: 41000, socket, routing: 'round-robin', generation: 1, routes });
    nginxAccepts('router-socket', router);
    expect(router).toContain(`listen unix:${socket};`);
    expect(router).toContain('listen 127.0.0.1:41000;');
    const edge = renderEdgeConfig({ dir: join(tmp, 'edge-socket'), port: 41010, routerPort: 41000, routerSocket: socket });
    nginxAccepts('edge-socket', edge);
    expect(edge).toMatch(new RegExp(`upstream router \\{\\s*server unix:${socket};\\s*\\}`));
  });

  it("write the router's access log line by line (the proof and tests read it at once) and buffer only the edge's", () => {
    const router = renderRouterConfig({ dir: tmp, port: 41000, routing: 'round-robin', generation: 1, routes });
    expect(router).toMatch(/^\s*access_log \S+\/access\.log ingress;$/m);
    const edge = renderEdgeConfig({ dir: tmp, port: 41010, routerPort: 41000 });
    expect(edge).toMatch(/^\s*access_log \S+\/access\.log ingress buffer=\S+ flush=\S+;$/m);
  });

  it('keep upstream keep-alive, never retry a sent POST, and answer 503 where no replica is ready', () => {
    const text = renderRouterConfig({ dir: tmp, port: 41000, routing: 'round-robin', generation: 1, routes });
    expect(text).toMatch(/upstream auth \{[^}]*server 127\.0\.0\.1:41001[^}]*keepalive 32;/s);
    expect(text).toContain('proxy_http_version 1.1;');
    expect(text).toContain('proxy_set_header Connection "";');
    expect(text).toMatch(/^\s*proxy_next_upstream error timeout;$/m);
    expect(text).not.toMatch(/^\s*proxy_next_upstream [^\n]*non_idempotent/m);
    expect(text).not.toContain('upstream catalog');
    expect(text).toMatch(/location = \/catalog \{\s*add_header Retry-After 1 always;[^\n]*\n[^\n]*\n\s*return 503 [^\n]*\n\s*\}\s*location \/catalog\/ \{\s*add_header Retry-After/);
  });
});

describe('routing through nginx (3 auth replicas)', { tags: ['timing'] }, () => {
  let roundRobin: Cluster;
  let sticky: Cluster;
  const env = { LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT_PER_MINUTE: '100000' };

  beforeAll(async () => {
    roundRobin = await startCluster({ services: ['auth'], replicas: 3, ingressPort: 0, runDir: join(tmp, 'rr'), env });
    sticky = await startCluster({ services: ['auth'], replicas: 3, ingressPort: 0, runDir: join(tmp, 'sticky'), env, routing: 'sticky', migrate: false });
  });
  afterAll(async () => {
    await Promise.all([roundRobin?.stop(), sticky?.stop()]);
  });

  it("every replica runs with the env of k8s/'s auth Deployment, the local differences (local-env.ts) and the run's own", () => {
    const auth = loadManifests().service('auth');
    const local = new Set(['PORT', 'HOST', 'HOSTNAME', 'COOKIE_SECURE', 'DATABASE_URL', 'REDIS_URL', 'AUTH_JWKS_URL', 'CATALOG_URL', ...Object.keys(env)]);
    // (and what the runner passes through from its own environment: telemetry settings, locale)
    const passedThrough = (name: string) => process.env[name] !== undefined && /^(OTEL_.*|TZ|LANG|NODE_EXTRA_CA_CERTS|PATH|HOME)$/.test(name);
    const plain = auth.env.flatMap((e) => ('value' in e && !local.has(e.name) && !passedThrough(e.name) ? [e] : []));
    expect(plain.length).toBeGreaterThan(3);
    for (const replica of roundRobin.replicas('auth')) {
      const environ = new Map(readFileSync(`/proc/${replica.pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      // $(VAR) is Kubernetes' expansion of the container's earlier variables.
      for (const e of plain) expect(environ.get(e.name), `${replica.name}: ${e.name}`).toBe(e.value.replace(/\$\(([A-Z_][A-Z0-9_]*)\)/g, (_, name: string) => environ.get(name) as string));
      expect(environ.get('PORT')).toBe(String(replica.port));
      expect(environ.get('HOSTNAME')).toBe(replica.name);
      expect(environ.get('LOGIN_RATE_LIMIT_PER_MINUTE')).toBe('100000');
    }
  });

  it("the edge reaches the router over the router's socket file", () => {
    const socket = /server unix:(\S+);/.exec(readFileSync(join(roundRobin.ingress.configDir, 'edge', 'nginx.conf'), 'utf8'))?.[1];
    expect(socket).toBeDefined();
    expect(readFileSync(join(roundRobin.ingress.configDir, 'router', 'nginx.conf'), 'utf8')).toContain(`listen unix:${socket};`);
  });

  it('round-robin spreads requests over every replica (X-Served-By)', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) seen.push(await servedBy(`${roundRobin.ingressUrl}/auth/.well-known/jwks.json`));
    const distinct = new Set(seen);
    expect(distinct.size).toBeGreaterThanOrEqual(2);
    expect([...distinct].every((n) => roundRobin.replicas().some((r) => r.name === n))).toBe(true);
  });

  it('routes /<service> and /<service>/… (a Prefix path); anything else is a problem+json 404 from the Ingress', async () => {
    // GET /auth reaches a replica (its own 404, with X-Served-By), not a redirect to /auth/.
    const exact = await fetch(`${roundRobin.ingressUrl}/auth`, { redirect: 'manual' });
    expect(exact.status).toBe(404);
    expect(exact.headers.get('x-served-by')).toMatch(/^auth-/);
    for (const path of ['/nowhere', '/authx']) {
      const res = await fetch(`${roundRobin.ingressUrl}${path}`, { redirect: 'manual' });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('x-served-by')).toBeNull();
    }
  });

  it('TRACE reaches the service (405 + Allow, problem+json) instead of nginx refusing it; under no service it is the Ingress 404', async () => {
    const url = new URL(roundRobin.ingressUrl);
    const trace = async (path: string) => {
      const conn = await openRaw(Number(url.port));
      await conn.write(`TRACE ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      return responseOf(conn, 5_000);
    };
    const known = await trace('/auth/me');
    expect(known?.status).toBe(405);
    expect(known?.headers.allow).toMatch(/GET/);
    expect(known?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(known?.headers['x-served-by']).toMatch(/^auth-/);
    const unknown = await trace('/nowhere');
    expect(unknown?.status).toBe(404);
    expect(unknown?.headers['content-type']).toBe('application/problem+json');
  });

  it("oversized requests: the Ingress's own refusals are problem+json (413 over 1 MiB, 431 for a huge header); a body under it reaches the service's 413", async () => {
    const post = (body: string, headers: Record<string, string> = {}) => fetch(`${roundRobin.ingressUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const huge = await post(JSON.stringify({ email: 'x@example.test', password: 'p'.repeat(2 * 1024 * 1024) }));
    expect(huge.status).toBe(413);
    expect(huge.headers.get('content-type')).toBe('application/problem+json');
    expect(huge.headers.get('x-served-by')).toBeNull();
    const headers = await post('{}', { 'x-padding': 'h'.repeat(20 * 1024) });
    expect(headers.status).toBe(431);
    expect(headers.headers.get('content-type')).toBe('application/problem+json');
    // Over nginx's 16 KiB default body buffer, under its 1 MiB limit: buffered in memory (this
    // run directory is private, so a temp file would fail) and refused by the service (64 KiB).
    const large = await post(JSON.stringify({ email: 'x@example.test', password: 'p'.repeat(100 * 1024) }));
    expect(large.status).toBe(413);
    expect(large.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(large.headers.get('x-served-by')).toMatch(/^auth-/);
  });

  it('sticky keeps one Authorization value on one replica, and spreads different clients', async () => {
    const { accessToken } = await newAccount(sticky.ingressUrl, 'sticky');
    const mine = new Set<string>();
    for (let i = 0; i < 12; i++) mine.add(await servedBy(`${sticky.ingressUrl}/auth/me`, { authorization: `Bearer ${accessToken}` }));
    expect(mine.size).toBe(1);

    // 30 other clients (the hash only looks at the header, a made-up value will do).
    const homes = new Map<string, Set<string>>();
    for (let c = 0; c < 30; c++) {
      const header = `Bearer client-${c}-${Math.random()}`;
      const replicas = new Set<string>();
      for (let i = 0; i < 3; i++) replicas.add(await servedBy(`${sticky.ingressUrl}/auth/.well-known/jwks.json`, { authorization: header }));
      homes.set(header, replicas);
    }
    expect([...homes.values()].every((s) => s.size === 1)).toBe(true);
    expect(new Set([...homes.values()].map((s) => [...s][0])).size).toBeGreaterThanOrEqual(2);
  });

  it('endpoint changes (router reloads) never break a keep-alive client: 0 failures over 30 reloads', async () => {
    const clients = 4;
    const reloads = 30;
    // finished[c]: requests client c has finished; `progressed` wakes whoever waits for more.
    const finished = Array.from({ length: clients }, () => 0);
    let progressed = (): void => undefined;
    const load = keepAliveLoad(roundRobin.ingressUrl, clients, (c, n) => {
      finished[c] = n;
      progressed();
      return n % 2 ? { method: 'GET', path: '/auth/.well-known/jwks.json' } : { method: 'POST', path: '/auth/refresh', headers: { 'content-type': 'application/json' }, body: '{"refreshToken":"not-a-real-refresh-token-0123456789"}', ok: [401] };
    });
    /** Resolves once every client has finished at least one more request than now. */
    const everyClientFinishesOneMore = () => {
      const from = [...finished];
      return new Promise<void>((resolve) => {
        progressed = () => {
          if (finished.every((n, c) => n > (from[c] as number))) resolve();
        };
        progressed();
      });
    };
    // A reload with the same endpoints does what an endpoint change does to nginx (new workers;
    // the old ones finish and close their connections), without waiting for replicas to start.
    // The next reload starts only once every client has finished a request since the previous
    // one: as the clients send back to back, each reload starts with all four sending (and a
    // client that stalled would hold the loop, not shrink the test).
    const internals = roundRobin as unknown as { nginx: { sync: () => Promise<void> } };
    for (let i = 0; i < reloads; i++) {
      await internals.nginx.sync();
      await everyClientFinishesOneMore();
    }
    const result = await load.stop();
    console.log(`${reloads} router reloads under ${clients} keep-alive clients: ${result.failures.length} failed of ${result.records.length} requests`);
    expect(result.failures.slice(0, 5)).toEqual([]);
    // At least one request per client finished after each reload.
    for (let c = 0; c < clients; c++) expect(result.records.filter((r) => r.client === c).length).toBeGreaterThanOrEqual(reloads);
  });
});
