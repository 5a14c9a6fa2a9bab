// `make up`'s settings (tools/cluster/cli-settings.ts) against the real k8s/: defaults from the
// manifests, the run's overrides, and a bad value refused with the variable named.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../config/cli-input.ts';
import { runDirFrom, settingsFromEnv } from '../cluster/cli-settings.ts';
import { loadManifests } from '../cluster/manifests.ts';

const manifests = loadManifests();

describe('cluster CLI settings', () => {
  it("defaults: k8s/'s replica counts and state store, port 8080, round-robin, migrations, the observability stack", () => {
    const s = settingsFromEnv({}, manifests);
    expect(s).toMatchObject({ routing: 'round-robin', ingressPort: 8080, replicas: undefined, migrate: true, watch: false, env: {} });
    expect(s.stateStore).toBe('shared');
    expect(s.counts).toBe(s.services.map((name) => `${name}×${manifests.service(name).replicas}`).join(' '));
    expect(s.observability).toMatchObject({ prometheusPort: 9090, jaegerPort: 16686, otlpPort: 4318, scrapeIntervalSeconds: 5 });
    expect(runDirFrom({})).toBe('/tmp/anypod/cluster');
  });

  it('reads the overrides: counts, services, routing, replica env pairs, no stack', () => {
    const s = settingsFromEnv(
      { REPLICAS: '2', SERVICES: 'auth, cart', ROUTING: 'sticky', STATE_STORE: 'memory', REPLICA_ENV: ' LOG_LEVEL=debug  A_B=x=y ', MIGRATE: '0', WATCH: '1', OBSERVABILITY: '0', INGRESS_PORT: '0' },
      manifests,
    );
    expect(s).toMatchObject({ replicas: 2, services: ['auth', 'cart'], skipped: ['catalog'], counts: 'auth×2 cart×2', routing: 'sticky', stateStore: 'memory', ingressPort: 0, migrate: false, watch: true, observability: undefined });
    expect(s.env).toEqual({ LOG_LEVEL: 'debug', A_B: 'x=y' });
  });

  it('refuses a bad value with the variable named (the CLI exits 2)', () => {
    const refused: [Record<string, string>, RegExp][] = [
      [{ REPLICAS: '0' }, /^REPLICAS must be an integer in 1\.\.20/],
      [{ REPLICAS: '2.5' }, /^REPLICAS must be/],
      [{ ROUTING: 'random' }, /^ROUTING must be round-robin or sticky, got "random"/],
      [{ STATE_STORE: 'disk' }, /^STATE_STORE must be shared or memory/],
      [{ INGRESS_PORT: '70000' }, /^INGRESS_PORT must be a port number/],
      [{ SERVICES: 'auth,payments' }, /^SERVICES: payments is not a service of k8s\//],
      [{ REPLICA_ENV: 'LOG_LEVEL=debug lower=1' }, /^REPLICA_ENV must be NAME=value pairs separated by spaces/],
      [{ OBSERVABILITY: 'yes' }, /^OBSERVABILITY must be 0 or 1/],
      [{ SCRAPE_INTERVAL_S: '61' }, /^SCRAPE_INTERVAL_S must be an integer in 1\.\.60/],
    ];
    for (const [env, message] of refused) {
      expect(() => settingsFromEnv(env, manifests)).toThrow(UsageError);
      expect(() => settingsFromEnv(env, manifests)).toThrow(message);
    }
  });
});
