// A DELIBERATELY BROKEN cart, for the proof's mutation test only: adds and edits apply without
// claiming their Idempotency-Key, so a retried write whose first attempt landed after all is
// applied a second time. The short proof must fail against it, or it could not tell a cart that
// applies writes exactly once from one that does not.
//
// How it cannot be turned on by accident: it is not a setting. It is another entry file, in the
// test folder (never part of an image), that the proof's cluster runs in place of src/server.ts
// (ClusterOptions.entries); the service itself has no switch, variable or code path for it.
import { startTelemetry } from '@anypod/platform/telemetry';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { CartConfig } from '../../src/config.ts';

const telemetry = await startTelemetry('cart');
const { runService } = await import('@anypod/platform/run-service');
const { cartConfig } = await import('../../src/config.ts');
const { default: cartApp } = await import('../../src/app.ts');

async function cartWithoutIdempotencyClaims(fastify: FastifyInstance, opts: { config: CartConfig }) {
  await fastify.register(fp(cartApp), opts);
  fastify.log.warn('MUTANT: cart adds and edits ignore their Idempotency-Key (proof mutation test)');
  // The routes call the store object they were given, so replacing its methods reaches them.
  const store = fastify.cartStore;
  const { add, edit } = store;
  store.add = (userId, item, _idempotency, respond) => add.call(store, userId, item, null as never, respond);
  store.edit = (userId, change, ifMatch, _idempotency, respond) => edit.call(store, userId, change, ifMatch, null, respond);
}

await runService({ config: cartConfig, telemetry, loadApp: async () => cartWithoutIdempotencyClaims });
