// Load shapes and run settings, from k6's __ENV, in one place for every script. A profile names
// a shape (virtual users, iterations per VU, a bound on time); VUS, ITERATIONS and MAX_DURATION
// override its parts. Each VU runs its iterations one after another (k6's per-vu-iterations
// executor), so a VU knows which iteration is its last and reads back its own writes there.
import type { ShopperBehaviour } from '@anypod/scenarios/journeys/index';

export type ScriptName = 'smoke' | 'any-pod' | 'pod-deletion';

export interface LoadShape {
  vus: number;
  iterations: number;
  /** k6 duration: no iteration starts after it; VUs not done by then fail the users-checked threshold */
  maxDuration: string;
}

// One shopping round (an iteration) takes about half a second on a laptop cluster.
//   ci:      what this repository's tests run (short, bounded)
//   default: a minute or two: long enough for quickstart/delete-pods.sh's default rounds
//   long:    a soak while you delete pods by hand
const PROFILES: Record<string, Record<ScriptName, LoadShape>> = {
  ci: {
    smoke: { vus: 2, iterations: 1, maxDuration: '1m' },
    'any-pod': { vus: 4, iterations: 16, maxDuration: '2m' },
    'pod-deletion': { vus: 6, iterations: 50, maxDuration: '3m' },
  },
  default: {
    smoke: { vus: 3, iterations: 2, maxDuration: '2m' },
    'any-pod': { vus: 10, iterations: 30, maxDuration: '5m' },
    'pod-deletion': { vus: 10, iterations: 300, maxDuration: '10m' },
  },
  long: {
    smoke: { vus: 5, iterations: 10, maxDuration: '5m' },
    'any-pod': { vus: 30, iterations: 100, maxDuration: '15m' },
    'pod-deletion': { vus: 30, iterations: 1000, maxDuration: '60m' },
  },
};

function positiveInt(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw}: a whole number of at least 1 is needed`);
  return value;
}

export function loadShape(script: ScriptName): LoadShape {
  const name = __ENV.PROFILE || 'default';
  const profile = PROFILES[name];
  if (!profile) throw new Error(`PROFILE=${name} is not a profile (known: ${Object.keys(PROFILES).join(', ')})`);
  const shape = profile[script];
  return {
    vus: positiveInt('VUS', shape.vus),
    iterations: positiveInt('ITERATIONS', shape.iterations),
    maxDuration: __ENV.MAX_DURATION || shape.maxDuration,
  };
}

/** Where the gateway answers, without a trailing slash: required, http(s) only. */
export function baseUrl(): string {
  const raw = (__ENV.BASE_URL || '').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(raw)) throw new Error(`BASE_URL=${__ENV.BASE_URL ?? ''}: set it to where the gateway answers, e.g. k6 run -e BASE_URL=http://localhost:8080 <script>`);
  return raw;
}

/** What every VU gets from setup(): the same run id and seed, so accounts are unique per run and choices replay. */
export interface RunSettings {
  /** makes accounts unique per run: vu<N>-<runId>@proof.anypod.test */
  runId: string;
  /** the run seed; each VU derives its own from it and its number */
  seed: number;
}

export function runSettings(): RunSettings {
  const seed = __ENV.SEED ? Number(__ENV.SEED) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`SEED=${__ENV.SEED}: a whole number is needed`);
  const runId = __ENV.RUN_ID || `k6-${Date.now().toString(36)}`;
  if (!/^[a-z0-9-]{1,40}$/.test(runId)) throw new Error(`RUN_ID=${runId}: use lower-case letters, digits and dashes (it goes into e-mail addresses)`);
  return { runId, seed };
}

/** Optional changes to the shopper's behaviour, as JSON (e.g. BEHAVIOUR='{"checkoutChance":0}'). */
export function behaviour(): Partial<ShopperBehaviour> {
  if (!__ENV.BEHAVIOUR) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(__ENV.BEHAVIOUR);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`BEHAVIOUR=${__ENV.BEHAVIOUR}: not a JSON object (e.g. '{"checkoutChance":0}')`);
  return parsed as Partial<ShopperBehaviour>;
}
