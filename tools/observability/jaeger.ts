// Jaeger v2 as a process: the binary built from the pinned module (tools/go/jaeger, v1.76.0, where
// cmd/jaeger is Jaeger v2, an OpenTelemetry Collector distribution) with a generated config: an
// OTLP/HTTP receiver, in-memory trace storage, the query API and UI. Every listener is one we
// chose: its defaults (4317, 4318, 16685, 16686, 13133, 8888, ...) would keep two stacks (the
// local cluster's and the one-node Kubernetes') from running side by side.
// Config reference: the pinned module's cmd/jaeger/internal/all-in-one.yaml and
// cmd/query/app/flags.go (the jaeger_query extension's options).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Daemon } from './daemon.ts';
import { httpGet } from '../cluster/process-utils.ts';
import { freePorts } from './ports.ts';
import { REPO_ROOT } from '../cluster/paths.ts';

/** What a recorded Jaeger pid must still be running (`make down` checks before signalling). */
export const JAEGER_PROCESS = /jaeger.*--config/;

export interface Listen {
  host: string;
  port: number;
}

export interface JaegerOptions {
  /** config and jaeger.log go here */
  dir: string;
  /** the OTLP/HTTP receiver the services export to (OTEL_EXPORTER_OTLP_ENDPOINT = http://host:port) */
  otlp: Listen;
  /** the UI and the HTTP query API */
  query: Listen;
  /**
   * Loopback ports of the listeners nobody outside needs: the query API's gRPC twin (always on in
   * jaeger_query), the health check and Jaeger's own metrics. Default: free ones.
   */
  internalPorts?: Partial<JaegerInternalPorts>;
  /**
   * Traces kept in memory, the oldest dropped first (default 20 000). Measured with a 20 s proof
   * run (540 requests, each its own trace with its pg and Redis spans): Jaeger's memory grew by
   * about 30 KB per request, so 20 000 traces stay well under 1 GB.
   */
  maxTraces?: number;
  /** keep running after this process exits (see Daemon) */
  outlive?: boolean;
  readyTimeoutMs?: number;
}

export interface JaegerInternalPorts {
  queryGrpc: number;
  health: number;
  metrics: number;
}

export interface JaegerProcess {
  /** http://host:port of the UI and the query API (/api/...) */
  readonly queryUrl: string;
  /** http://host:port: the value of OTEL_EXPORTER_OTLP_ENDPOINT (the exporter adds /v1/traces) */
  readonly otlpUrl: string;
  /** http://127.0.0.1:<port>: Jaeger's own Prometheus metrics (/metrics), spans received, refused, dropped */
  readonly metricsUrl: string;
  readonly pid: number;
  readonly configPath: string;
  readonly logFile: string;
  stop(): Promise<void>;
  killNow(): void;
}

/** The binary: JAEGER_BIN, or the pinned build (built on first use: minutes, its progress on our stderr). */
export async function jaegerBinary(): Promise<string> {
  if (process.env.JAEGER_BIN) return process.env.JAEGER_BIN;
  const child = spawn('bash', [join(REPO_ROOT, 'tools/go/go-tools.sh'), 'path', 'jaeger'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`Jaeger is not available: bash tools/go/go-tools.sh path jaeger exited with ${code} (its messages are above)`);
  return stdout.trim();
}

const hostPort = (l: Listen): string => `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`;

export function renderJaegerConfig(options: Pick<JaegerOptions, 'otlp' | 'query' | 'maxTraces'>, internal: JaegerInternalPorts): string {
  const store = 'memstore';
  const config = {
    service: {
      extensions: ['jaeger_storage', 'jaeger_query', 'healthcheckv2'],
      pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] } },
      telemetry: {
        resource: { 'service.name': 'jaeger' },
        metrics: { level: 'basic', readers: [{ pull: { exporter: { prometheus: { host: '127.0.0.1', port: internal.metrics } } } }] },
        logs: { level: 'info' },
      },
    },
    extensions: {
      jaeger_storage: { backends: { [store]: { memory: { max_traces: options.maxTraces ?? 20_000 } } } },
      jaeger_query: {
        storage: { traces: store },
        // Jaeger would trace its own queries into the store it serves, next to the services' traces.
        enable_tracing: false,
        http: { endpoint: hostPort(options.query) },
        grpc: { endpoint: `127.0.0.1:${internal.queryGrpc}` },
      },
      // Readiness: /status answers 200 once every component has started.
      healthcheckv2: { use_v2: true, http: { endpoint: `127.0.0.1:${internal.health}` } },
    },
    // OTLP over HTTP only: the services export with @opentelemetry/exporter-trace-otlp-http.
    receivers: { otlp: { protocols: { http: { endpoint: hostPort(options.otlp) } } } },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: store } },
  };
  return `# Generated by tools/observability/jaeger.ts; rewritten on every start.\n${stringify(config)}`;
}

/** Starts Jaeger and resolves once the health check, the query API and the OTLP receiver all answer. */
export async function startJaeger(options: JaegerOptions): Promise<JaegerProcess> {
  const bin = await jaegerBinary();
  const [queryGrpc, health, metrics] = await freePorts(3);
  const internal: JaegerInternalPorts = { queryGrpc: queryGrpc as number, health: health as number, metrics: metrics as number, ...options.internalPorts };
  mkdirSync(options.dir, { recursive: true });
  const configPath = join(options.dir, 'jaeger.yaml');
  writeFileSync(configPath, renderJaegerConfig(options, internal));
  const logFile = join(options.dir, 'jaeger.log');
  const queryUrl = `http://${hostPort(options.query)}`;
  const otlpUrl = `http://${hostPort(options.otlp)}`;
  const daemon = Daemon.start({ name: 'jaeger', command: bin, args: ['--config', configPath], cwd: options.dir, logFile, outlive: options.outlive });
  try {
    await daemon.waitUntilReady(async () => {
      const health = await httpGet(`http://127.0.0.1:${internal.health}/status`, 1000);
      if (health.status !== 200) return `health check answered ${health.status}: ${health.body.trim()}`;
      const services = await httpGet(`${queryUrl}/api/services`, 1000);
      if (services.status !== 200) return `${queryUrl}/api/services answered ${services.status}`;
      // The receiver answers a GET on its traces path with 405: it is listening.
      const otlp = await httpGet(`${otlpUrl}/v1/traces`, 1000);
      return otlp.status === 405 || `${otlpUrl}/v1/traces answered ${otlp.status}`;
    }, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  return {
    queryUrl,
    otlpUrl,
    metricsUrl: `http://127.0.0.1:${internal.metrics}`,
    pid: daemon.pid,
    configPath,
    logFile,
    stop: () => daemon.stop(),
    killNow: () => daemon.killNow(),
  };
}
