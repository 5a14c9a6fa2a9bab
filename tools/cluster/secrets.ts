// Per-run secrets, generated once and shared by every auth replica, like a Kubernetes Secret the
// chart generates at install: every replica must sign with the same key (so JWKS is the same
// wherever it is fetched) and HMAC refresh tokens with the same secret (so any replica can
// rotate a token another one issued). Never written to disk: they live in the runner's memory
// and in the replicas' environment.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface ClusterSecrets {
  /** ES256 (P-256) private key, PKCS#8 PEM: JWT_PRIVATE_KEY */
  jwtPrivateKey: string;
  /** 43 url-safe characters (256 random bits): REFRESH_TOKEN_SECRET */
  refreshTokenSecret: string;
}

export function generateSecrets(): ClusterSecrets {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    jwtPrivateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    refreshTokenSecret: randomBytes(32).toString('base64url'),
  };
}
