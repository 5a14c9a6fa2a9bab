// Token verifications per second with the cached JWKS, the way catalog and cart verify a token:
// the platform's own token-verifier plugin (@fastify/jwt with get-jwks, ES256 pinned, iss/aud/
// exp/typ checked) on a Fastify instance with the platform's metrics, health and Redis plugins.
// The JWKS comes once from a real local HTTP server (auth's JWKS document for a fresh key); the
// token is signed by the same plugin in auth's signing mode. Then, inside one request's handler,
// request.jwtVerify() runs in a loop for a bounded time: signature and claims against the cached
// key, nothing of HTTP in the figure. Runs in the bench's own process, which the CLI pins to the
// servers' CPUs: it measures the servers' cost.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import Fastify, { type FastifyInstance } from 'fastify';
import health from '@anypod/platform/health';
import metrics from '@anypod/platform/metrics';
import redis from '@anypod/platform/redis';
import tokenVerifier, { publicJwk, type TokenVerifierOptions } from '@anypod/platform/token-verifier';
import { LOCAL_REDIS_URL } from '@anypod/platform/local-infra';
import { generateSecrets } from '@anypod/tools/cluster/secrets.ts';
import type { BenchContext } from '../lib/context.ts';
import type { Measurement } from '../lib/results.ts';

const ISSUER = 'anypod-auth';
const AUDIENCE = 'anypod';

/** A Fastify instance with the platform's token verification as the services register it. */
async function verifierApp(tokens: TokenVerifierOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(metrics);
  await app.register(health);
  await app.register(redis, { url: process.env.REDIS_URL ?? LOCAL_REDIS_URL });
  await app.register(tokenVerifier, tokens);
  return app;
}

export interface VerifyLoop {
  verifications: number;
  seconds: number;
}

/** The figures of one loop: verifications/s and µs per verification. */
export function jwtMeasurement(loop: VerifyLoop, note: string): Measurement {
  if (loop.verifications <= 0 || loop.seconds <= 0) throw new Error(`jwt: nothing was verified (${loop.verifications} in ${loop.seconds} s)`);
  return {
    section: 'jwt',
    subject: 'access token verification (ES256, cached JWKS)',
    via: 'in process',
    figures: {
      'verifications/s': { value: loop.verifications / loop.seconds, unit: 'verifications/s' },
      'per verification': { value: (loop.seconds * 1e6) / loop.verifications, unit: 'µs' },
    },
    note,
  };
}

export async function jwtStage(ctx: BenchContext): Promise<Measurement[]> {
  const seconds = ctx.quick ? 0.5 : Math.min(ctx.durationS, 5);
  const secrets = generateSecrets();
  const jwk = publicJwk(secrets.jwtPrivateKey);
  let jwksFetches = 0;
  const jwks = createServer((req, res) => {
    jwksFetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  }).listen(0, '127.0.0.1');
  await once(jwks, 'listening');
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/auth/.well-known/jwks.json`;
  const signer = await verifierApp({ issuer: ISSUER, audience: AUDIENCE, signing: { privateKeyPem: secrets.jwtPrivateKey, kid: jwk.kid, expiresInSeconds: 300 } });
  const verifier = await verifierApp({ issuer: ISSUER, audience: AUDIENCE, jwksUrl });
  try {
    await signer.ready();
    const token = signer.jwt.sign({ sub: 'bench-user', role: 'user', jti: 'bench-jti', sid: 'bench-session' });
    let loop: VerifyLoop | undefined;
    verifier.get('/verify-loop', async (request) => {
      await request.jwtVerify(); // the first one fetches the JWKS; the loop uses the cached key
      let verifications = 0;
      const started = performance.now();
      const until = started + seconds * 1000;
      while (performance.now() < until) {
        await request.jwtVerify();
        verifications++;
      }
      loop = { verifications, seconds: (performance.now() - started) / 1000 };
      return { sub: request.user.sub };
    });
    ctx.log(`jwt: verifying one ES256 token for ${seconds} s`);
    const res = await verifier.inject({ method: 'GET', url: '/verify-loop', headers: { authorization: `Bearer ${token}` } });
    if (res.statusCode !== 200 || !loop) throw new Error(`jwt: the verification loop answered ${res.statusCode}: ${res.body}`);
    if (jwksFetches !== 1) throw new Error(`jwt: the JWKS was fetched ${jwksFetches} times; the loop must run on the cached key`);
    return [jwtMeasurement(loop, `request.jwtVerify() in a loop for ${seconds} s after one JWKS fetch; signature + claims only (the Redis denylist check per request is not in it)`)];
  } finally {
    await verifier.close();
    await signer.close();
    jwks.close();
  }
}
