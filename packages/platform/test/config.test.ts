import { describe, expect, it } from 'vitest';
import { BaseConfigSchema, ConfigError, defineServiceConfig, loadConfig, podName } from '../src/config.ts';

const base = defineServiceConfig('test', BaseConfigSchema);

const valid = { DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/db', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('loadConfig', () => {
  it('applies defaults and converts numbers', () => {
    const config = loadConfig(base, { ...valid, PORT: '8081' });
    expect(config.PORT).toBe(8081);
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.STATE_STORE).toBe('shared');
  });

  it('names a missing variable', () => {
    expect(() => loadConfig(base, { REDIS_URL: valid.REDIS_URL })).toThrowError(new ConfigError('DATABASE_URL is required but not set (expected a postgresql:// URL)'));
  });

  it('treats an empty value as unset', () => {
    expect(() => loadConfig(base, { ...valid, DATABASE_URL: '' })).toThrow(/^DATABASE_URL is required/);
  });

  it('names an invalid variable and says what was expected', () => {
    expect(() => loadConfig(base, { ...valid, PORT: 'eighty' })).toThrow(/^PORT is invalid/);
    expect(() => loadConfig(base, { ...valid, REDIS_URL: 'http://x' })).toThrow(/^REDIS_URL is invalid: .*\(expected a redis:\/\/ URL\)/);
    expect(() => loadConfig(base, { ...valid, STATE_STORE: 'disk' })).toThrow(/^STATE_STORE is invalid/);
    expect(() => loadConfig(base, { ...valid, POD_NAMESPACE: 'My_Shop' })).toThrow(/^POD_NAMESPACE is invalid: .*\(expected the pod's namespace/);
    expect(loadConfig(base, { ...valid, POD_NAMESPACE: 'shop' }).POD_NAMESPACE).toBe('shop');
  });

  it('takes the pod name from POD_NAME, then HOSTNAME', () => {
    expect(podName(loadConfig(base, { ...valid, POD_NAME: 'cart-abc12', HOSTNAME: 'h' }))).toBe('cart-abc12');
    expect(podName(loadConfig(base, { ...valid, HOSTNAME: 'h' }))).toBe('h');
  });

  it('checks the rules across variables after each one is valid, naming them in one line', () => {
    expect(() => loadConfig(base, { ...valid, SHUTDOWN_DELAY_MS: '30000', SHUTDOWN_TIMEOUT_MS: '20000' })).toThrowError(
      new ConfigError('SHUTDOWN_DELAY_MS (30000) must be shorter than SHUTDOWN_TIMEOUT_MS (20000), which counts from SIGTERM: the replica would be forced out before it drained'),
    );
    expect(loadConfig(base, { ...valid, SHUTDOWN_DELAY_MS: '5000' }).SHUTDOWN_DELAY_MS).toBe(5000);
    const strict = defineServiceConfig('test', BaseConfigSchema, [(c) => (c.PORT === 3000 ? 'PORT must not be the default here' : undefined)]);
    expect(() => loadConfig(strict, valid)).toThrow(/^PORT must not be the default here$/);
  });

  it('describes every variable (the description is what .env.example and the errors show)', () => {
    for (const [name, property] of Object.entries(BaseConfigSchema.properties)) expect((property as { description?: string }).description, name).toBeTruthy();
  });
});
