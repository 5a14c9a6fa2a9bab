import { describe, expect, it } from 'vitest';
import { BaseConfigSchema, ConfigError, loadConfig, podName } from '../src/config.ts';

const valid = { DATABASE_URL: 'postgresql://u:p@127.0.0.1:5432/db', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('loadConfig', () => {
  it('applies defaults and converts numbers', () => {
    const config = loadConfig(BaseConfigSchema, { ...valid, PORT: '8081' });
    expect(config.PORT).toBe(8081);
    expect(config.HOST).toBe('0.0.0.0');
    expect(config.STATE_STORE).toBe('shared');
  });

  it('names a missing variable', () => {
    expect(() => loadConfig(BaseConfigSchema, { REDIS_URL: valid.REDIS_URL })).toThrowError(new ConfigError('DATABASE_URL is required but not set (expected a postgresql:// URL)'));
  });

  it('treats an empty value as unset', () => {
    expect(() => loadConfig(BaseConfigSchema, { ...valid, DATABASE_URL: '' })).toThrow(/^DATABASE_URL is required/);
  });

  it('names an invalid variable and says what was expected', () => {
    expect(() => loadConfig(BaseConfigSchema, { ...valid, PORT: 'eighty' })).toThrow(/^PORT is invalid/);
    expect(() => loadConfig(BaseConfigSchema, { ...valid, REDIS_URL: 'http://x' })).toThrow(/^REDIS_URL is invalid: .*\(expected a redis:\/\/ URL\)/);
    expect(() => loadConfig(BaseConfigSchema, { ...valid, STATE_STORE: 'disk' })).toThrow(/^STATE_STORE is invalid/);
  });

  it('takes the pod name from POD_NAME, then HOSTNAME', () => {
    expect(podName(loadConfig(BaseConfigSchema, { ...valid, POD_NAME: 'cart-abc12', HOSTNAME: 'h' }))).toBe('cart-abc12');
    expect(podName(loadConfig(BaseConfigSchema, { ...valid, HOSTNAME: 'h' }))).toBe('h');
  });
});
