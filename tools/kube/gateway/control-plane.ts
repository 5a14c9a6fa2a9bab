// A control plane with no node, for the gateway's own tests: Debian's etcd and the pinned
// kube-apiserver on 127.0.0.1, ports from the free-port helper, everything (certificates, data,
// logs) in one temp folder that stop() removes. No kubelet, no controllers: the tests write the
// EndpointSlices themselves, as the EndpointSlice controller would. Nothing here routes traffic
// anywhere: the service range is never used (no kube-proxy, no ClusterIP is ever called).
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gatewayCrdsDir, goToolPath } from '../../go/go-tools.ts';
import { freePort, signalGroup, tail, withParentDeathSignal } from '../../cluster/process-utils.ts';

const execFileAsync = promisify(execFile);

/**
 * Extra addresses on the loopback interface, for "pods" the host can reach: the API server
 * refuses 127.0.0.0/8 in an EndpointSlice ("may not be in the loopback range"), so the tests use
 * 198.18.0.0/15 (RFC 2544, for benchmarking; never routed on the internet). An address on `lo` is
 * local: the kernel delivers to it itself, nothing goes out of any interface. Any left over by a
 * killed run are removed first. Needs root (CAP_NET_ADMIN), as the one-node cluster does.
 */
export const LOOPBACK_LABEL = 'lo:anypodgw';

export function addLoopbackAddresses(addresses: string[]): () => void {
  removeLoopbackAddresses();
  const added: string[] = [];
  const remove = () => {
    for (const a of added.splice(0)) spawnSync('ip', ['addr', 'del', `${a}/32`, 'dev', 'lo'], { stdio: 'ignore' });
  };
  try {
    for (const a of addresses) {
      const r = spawnSync('ip', ['addr', 'add', `${a}/32`, 'dev', 'lo', 'label', LOOPBACK_LABEL], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip addr add ${a}/32 dev lo failed (root needed): ${r.stderr || r.error?.message}`);
      added.push(a);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return remove;
}

/** Removes every address carrying our label (a killed run's leftovers). */
export function removeLoopbackAddresses(): void {
  const r = spawnSync('ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' });
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /inet (\S+) .*\b(lo:anypodgw)\b/.exec(line);
    if (m?.[1]) spawnSync('ip', ['addr', 'del', m[1], 'dev', 'lo'], { stdio: 'ignore' });
  }
}

export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';

interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<void>;
}

export class ControlPlane {
  readonly dir: string;
  readonly kubeconfig: string;
  private procs: Proc[] = [];
  private apiPort = 0;
  private kubectlBin = '';
  private apiserverArgs: [string, string[]] = ['', []];

  constructor(private readonly progress: (message: string) => void = () => {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'anypod-gateway-api-'));
    this.kubeconfig = join(this.dir, 'admin.kubeconfig');
  }

  get server(): string {
    return `https://127.0.0.1:${this.apiPort}`;
  }

  get pids(): number[] {
    return this.procs.map((p) => p.child.pid).filter((p): p is number => p !== undefined);
  }

  async start(): Promise<void> {
    if (!existsSync(ETCD_BIN)) throw new Error(`etcd not found at ${ETCD_BIN}: apt-get install -y etcd-server (Debian's etcd 3.4), or set ETCD_BIN`);
    const apiserver = goToolPath('kube-apiserver');
    this.kubectlBin = goToolPath('kubectl');
    const t0 = Date.now();
    const [client, peer] = [await freePort(), await freePort()];
    this.apiPort = await freePort();
    this.pki();
    const etcdUrl = `http://127.0.0.1:${client}`;
    // Every URL explicit: etcd's defaults (2379/2380) may belong to another etcd on this machine.
    this.spawn('etcd', ETCD_BIN, [
      '--name', 'gateway-test', '--data-dir', join(this.dir, 'etcd'),
      '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', `gateway-test=http://127.0.0.1:${peer}`,
    ]);
    await this.waitFor('etcd', async () => (await fetch(`${etcdUrl}/health`)).ok);
    const pki = join(this.dir, 'pki');
    this.apiserverArgs = [apiserver, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1', `--secure-port=${this.apiPort}`, '--advertise-address=127.0.0.1',
      // An Endpoints object may not hold a loopback address, and nothing needs the kubernetes Service.
      '--endpoint-reconciler-type=none',
      '--service-cluster-ip-range=10.96.0.0/16',
      `--cert-dir=${join(this.dir, 'apiserver-certs')}`,
      `--client-ca-file=${pki}/ca.crt`, `--tls-cert-file=${pki}/apiserver.crt`, `--tls-private-key-file=${pki}/apiserver.key`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki}/sa.pub`, `--service-account-signing-key-file=${pki}/sa.key`,
      // The tests' only client is the admin: authorization is not what they are about.
      '--authorization-mode=AlwaysAllow',
      '--profiling=false',
    ]];
    this.spawn('kube-apiserver', ...this.apiserverArgs);
    await this.waitFor('kube-apiserver', async () => (await this.kubectl(['get', '--raw', '/readyz'])).trim() === 'ok', 60_000);
    this.progress(`etcd and kube-apiserver ready at ${this.server} in ${Date.now() - t0} ms`);
    const crds = gatewayCrdsDir();
    // Server-side apply: the CRDs are too large for the last-applied annotation.
    await this.kubectl(['apply', '--server-side', '-f', crds]);
    await this.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/httproutes.gateway.networking.k8s.io']);
    this.progress(`Gateway API CRDs installed (${crds})`);
  }

  /**
   * Stops the API server and resolves when it has exited; etcd stays. SIGKILL is a crash: every
   * watch connection breaks at once. (On SIGTERM it waits for open watches to end, which
   * client-node's watch does only after 30 s without data.)
   */
  async stopApiserver(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.procs.find((x) => x.name === 'kube-apiserver');
    if (!p?.child.pid) throw new Error('kube-apiserver is not running');
    signalGroup(p.child.pid, signal);
    await p.exited;
    this.procs = this.procs.filter((x) => x !== p);
  }

  /** Starts the API server again with the same flags (same port, same data) and waits for /readyz. */
  async startApiserver(): Promise<void> {
    this.spawn('kube-apiserver', ...this.apiserverArgs);
    await this.waitFor('kube-apiserver', async () => (await this.kubectl(['get', '--raw', '/readyz'])).trim() === 'ok', 60_000);
  }

  /** kubectl with this control plane's kubeconfig, always explicit. */
  async kubectl(args: string[], input?: string): Promise<string> {
    const run = execFileAsync(this.kubectlBin, [`--kubeconfig=${this.kubeconfig}`, ...args], { env: { ...process.env, KUBECONFIG: this.kubeconfig }, maxBuffer: 16 * 1024 * 1024 });
    if (input !== undefined) {
      run.child.stdin?.end(input);
    }
    try {
      return (await run).stdout;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(' ')}: ${e.stderr?.trim() || e.message}`, { cause: error });
    }
  }

  /** SIGTERM, then SIGKILL after 10 s, each process and its group; removes the temp folder. */
  async stop(): Promise<void> {
    for (const p of [...this.procs].reverse()) {
      const pid = p.child.pid;
      if (pid === undefined) continue;
      signalGroup(pid, 'SIGTERM');
      const done = await Promise.race([p.exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!done) signalGroup(pid, 'SIGKILL');
      await p.exited;
    }
    this.procs = [];
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawn(name: string, bin: string, args: string[]): void {
    const log = join(this.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    let child: ChildProcess;
    try {
      const [command, argv] = withParentDeathSignal(bin, args, 'SIGKILL');
      child = spawn(command, argv, { stdio: ['ignore', fd, fd], detached: true });
    } finally {
      closeSync(fd);
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.procs.push({ name, child, log, exited });
  }

  private async waitFor(name: string, ready: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const proc = this.procs.find((p) => p.name === name);
    let last = '';
    while (Date.now() < deadline) {
      if (proc && proc.child.exitCode !== null) throw new Error(`${name} exited with ${proc.child.exitCode}; ${proc.log}:\n${tail(proc.log)}`);
      try {
        if (await ready()) return;
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(200);
    }
    throw new Error(`${name} not ready within ${timeoutMs} ms (${last}); ${proc?.log}:\n${proc ? tail(proc.log) : ''}`);
  }

  /** A CA, the API server's serving pair, an admin client pair, the service-account key; openssl, EC P-256. */
  private pki(): void {
    const pki = join(this.dir, 'pki');
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: ['ignore', 'ignore', 'pipe'] });
    mkdirSync(pki, { recursive: true });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ssl('req', '-x509', '-new', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=anypod-gateway-test-ca');
    const cert = (name: string, subject: string, eku: string, san?: string) => {
      ssl('req', '-new', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
      writeFileSync(join(pki, `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=${eku}\n${san ? `subjectAltName=${san}\n` : ''}`);
      ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
    };
    cert('apiserver', '/CN=kube-apiserver', 'serverAuth', 'IP:127.0.0.1,DNS:localhost');
    cert('admin', '/O=system:masters/CN=anypod-gateway-test-admin', 'clientAuth');
    ssl('genrsa', '-out', 'sa.key', '2048');
    ssl('rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
    const b64 = (f: string) => readFileSync(join(pki, f)).toString('base64');
    writeFileSync(
      this.kubeconfig,
      `apiVersion: v1
kind: Config
clusters:
  - name: gateway-test
    cluster:
      server: https://127.0.0.1:${this.apiPort}
      certificate-authority-data: ${b64('ca.crt')}
users:
  - name: admin
    user:
      client-certificate-data: ${b64('admin.crt')}
      client-key-data: ${b64('admin.key')}
contexts:
  - name: gateway-test
    context: { cluster: gateway-test, user: admin }
current-context: gateway-test
`,
      { mode: 0o600 },
    );
  }
}
