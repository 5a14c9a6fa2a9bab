// `make up` / `make status` / `make down` (tools/cluster/cli.ts) as a user runs them: the
// cluster keeps running in the background after `up` returns, `status` sees it, `down` stops
// every process it started (Jaeger and Prometheus included) and can be run twice.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, isAlive } from '../../cluster/process-utils.ts';
import { freePorts } from '../../observability/ports.ts';
import { REPO_ROOT } from '../../cluster/paths.ts';

const execFileAsync = promisify(execFile);
const runDir = mkdtempSync(join(tmpdir(), 'anypod-cli-'));
const statePath = join(runDir, 'cluster.json');
let port = 0;
/** Prometheus, Jaeger, OTLP: free ones, so a `make up` on this machine does not collide. */
let stackPorts: number[] = [];

async function cli(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const [prometheus, jaeger, otlp] = stackPorts.map(String);
  const env = { ...process.env, CLUSTER_RUN_DIR: runDir, INGRESS_PORT: String(port), REPLICAS: '2', SERVICES: 'auth', PROMETHEUS_PORT: prometheus, JAEGER_PORT: jaeger, OTLP_PORT: otlp };
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', 'tools/cluster/cli.ts', command], { cwd: REPO_ROOT, env, timeout: 240_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

interface State {
  status: string;
  supervisorPid: number;
  ingressUrl: string;
  ingress: { pids: number[] };
  replicas: { name: string; pid: number; url: string }[];
  observability: { prometheusUrl: string; jaegerUrl: string; pids: { prometheus: number; jaeger: number } };
}

afterAll(async () => {
  if (existsSync(statePath)) await cli('down');
  rmSync(runDir, { recursive: true, force: true });
});

describe('the cluster CLI', { tags: ['timing'] }, () => {
  it('up starts a cluster that outlives the command, status reports it, down stops everything (twice)', async () => {
    port = await freePort();
    stackPorts = await freePorts(3);
    const up = await cli('up');
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`ingress        http://127.0.0.1:${port}`);
    expect(up.stdout).toContain(`curl -si -X POST http://127.0.0.1:${port}/auth/register`);

    const state = JSON.parse(readFileSync(statePath, 'utf8')) as State;
    expect(state.status).toBe('running');
    expect(state.replicas).toHaveLength(2);
    const pids = [state.supervisorPid, ...state.ingress.pids, ...state.replicas.map((r) => r.pid), state.observability.pids.prometheus, state.observability.pids.jaeger];
    expect(pids.every(isAlive)).toBe(true);
    for (const r of state.replicas) expect(up.stdout).toContain(r.url);
    expect(state.observability).toMatchObject({ prometheusUrl: `http://127.0.0.1:${stackPorts[0]}`, jaegerUrl: `http://127.0.0.1:${stackPorts[1]}` });
    expect(up.stdout).toContain(`prometheus     ${state.observability.prometheusUrl}`);
    expect(up.stdout).toContain(`jaeger         ${state.observability.jaegerUrl}`);

    const res = await fetch(`${state.ingressUrl}/auth/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(state.replicas.map((r) => r.name)).toContain(res.headers.get('x-served-by'));

    const status = await cli('status');
    expect(status.code).toBe(0);
    for (const r of state.replicas) expect(status.stdout).toMatch(new RegExp(`${r.name}.*alive.*in rotation.*/readyz 200`));
    expect(status.stdout).toContain(`prometheus ${state.observability.prometheusUrl}: pid ${state.observability.pids.prometheus} alive  ready`);
    expect(status.stdout).toContain(`jaeger ${state.observability.jaegerUrl}: pid ${state.observability.pids.jaeger} alive  ready`);

    const again = await cli('up');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already running');

    const down = await cli('down');
    expect(down.code).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(statePath)).toBe(false);
    await expect(fetch(`${state.ingressUrl}/auth/.well-known/jwks.json`)).rejects.toThrow();
    await expect(fetch(`${state.observability.prometheusUrl}/-/ready`)).rejects.toThrow();

    const downAgain = await cli('down');
    expect(downAgain.code).toBe(0);
    expect(downAgain.stdout).toContain('nothing to stop');
    expect((await cli('status')).code).toBe(3);
  });
});
