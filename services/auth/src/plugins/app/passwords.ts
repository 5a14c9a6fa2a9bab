// Password hashing with scrypt at the OWASP parameters (N = 2^17, r = 8, p = 1): built into Node,
// so no native add-on to compile. Each hash takes ~128 MiB and a threadpool slot for a few
// hundred ms, so concurrency is bounded: a burst of logins queues instead of exhausting memory.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const PARAMS = { N: 2 ** 17, r: 8, p: 1, keyLength: 32 };

function scrypt(password: string, salt: Buffer, params: { N: number; r: number; p: number; keyLength: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCallback(password, salt, params.keyLength, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export class PasswordHasher {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** verified against when the email is unknown, so timing does not reveal which emails exist */
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly concurrency: number) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.bounded(() => scrypt(password, salt, PARAMS));
    return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async verify(password: string, stored: string | undefined): Promise<boolean> {
    const encoded = stored ?? (await (this.dummyHash ??= this.hash(randomBytes(16).toString('hex'))));
    const [scheme, n, r, p, salt, key] = encoded.split('$');
    if (scheme !== 'scrypt' || !salt || !key) return false;
    const expected = Buffer.from(key, 'base64url');
    const actual = await this.bounded(() => scrypt(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), keyLength: expected.length }));
    return timingSafeEqual(actual, expected) && stored !== undefined;
  }

  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    passwords: PasswordHasher;
  }
}

export default fp(async (fastify: FastifyInstance, opts: { concurrency: number }) => {
  fastify.decorate('passwords', new PasswordHasher(opts.concurrency));
}, { name: 'passwords', fastify: '5.x' });
