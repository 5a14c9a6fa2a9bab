// Returns the stock of reservations nobody confirmed in time (a checkout whose replica died and
// was never retried). Every replica sweeps; StockService.expireDue settles each reservation once
// however many sweep at the same moment, so no leader election is needed. Calls that touch an
// expired reservation settle it themselves, so the sweep only bounds how long untouched stock
// stays away: at most RESERVATION_SWEEP_SECONDS after its expiry.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

async function reservationSweeper(fastify: FastifyInstance, opts: { everyMs: number }) {
  let running: Promise<void> | undefined;
  const sweep = () => {
    if (running) return; // a slow sweep is not stacked on by the next tick
    running = fastify.stock
      .expireDue()
      .then(
        (expired) => {
          if (expired > 0) fastify.log.info({ expired }, 'returned the stock of expired reservations');
        },
        (error: Error) => fastify.log.warn({ err: error.message }, 'reservation sweep failed; the next one retries'),
      )
      .finally(() => (running = undefined));
  };
  const timer = setInterval(sweep, opts.everyMs);
  timer.unref();
  fastify.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
  });
}

export default fp(reservationSweeper, { name: 'reservation-sweeper', fastify: '5.x', dependencies: ['stock'] });
