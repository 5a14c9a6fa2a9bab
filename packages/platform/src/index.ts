export * from './config.ts';
export * from './problem.ts';
export * from './graceful.ts';
export * from './health.ts';
export * from './postgres.ts';
export * from './server-options.ts';
export * from './token-verifier.ts';
export { default as platform, type PlatformOptions } from './platform.ts';
export { createRedis } from './redis.ts';
