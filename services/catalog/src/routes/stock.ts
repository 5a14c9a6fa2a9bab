// Stock reservations: the internal calls cart makes at checkout — reserve, then confirm once the
// order is certain, or release when the checkout ordered nothing. A reservation neither
// confirmed nor released within its hold expires and its stock returns (plugins/app/stock.ts).
//
// Who may call them: any valid access token (fastify.authenticate), not only admins, because cart
// forwards the signed-in user's bearer token and has no identity of its own yet. What keeps this
// safe: a reservation is bound to the token's subject (another user reusing the id gets 422, and
// cannot see, confirm or release it: 404), it only ever takes stock a real checkout could take,
// holds it for a bounded time, and the Ingress need not expose /catalog/stock at all — only cart
// has to reach it (NetworkPolicy). A service token issued to cart would be the next step if users
// must not be able to reserve directly.
import { problemResponses } from '@anypod/platform';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ReservationRequestSchema, ReservationSchema } from '@anypod/contracts';
import { ReservationParamsSchema } from '../schemas/stock.ts';

const tags = ['stock'];
const security = [{ bearer: [] }];

const markReplay = (reply: FastifyReply, replayed: boolean) => (replayed ? reply.header('idempotent-replayed', 'true') : reply);

export default async function stockRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>();

  fastify.post('/stock/reservations', {
    onRequest: fastify.authenticate,
    schema: {
      tags,
      summary: 'Reserve stock for an order, all lines or none, exactly once per reservationId (internal: called by cart at checkout)',
      description:
        'Returns the unit prices at reservation time and holds the stock for holdSeconds (capped by the service). Retrying with the same reservationId and lines replays the result (201, Idempotent-Replayed: true) without taking stock again and holds it again; after a release or expiry the same id takes the stock anew. The same id with other lines is 422; not enough stock is 409 naming the product.',
      security,
      body: ReservationRequestSchema,
      response: { 201: ReservationSchema, ...problemResponses(409, 422) },
    },
  }, async (request, reply) => {
    const { reservation, replayed } = await fastify.stock.reserve(request.body, request.user.sub);
    return markReplay(reply, replayed).code(201).send(reservation);
  });

  fastify.post('/stock/reservations/:reservationId/confirm', {
    onRequest: fastify.authenticate,
    schema: {
      tags,
      summary: 'Confirm a held reservation: its stock is sold (internal: cart, once the order is certain)',
      description: 'Idempotent (a confirmed reservation answers 200, Idempotent-Replayed: true). A reservation that expired or was released is 409: its stock was returned and nothing was sold.',
      security,
      params: ReservationParamsSchema,
      response: { 200: ReservationSchema, ...problemResponses(404, 409) },
    },
  }, async (request, reply) => {
    const { reservation, replayed } = await fastify.stock.confirm(request.params.reservationId, request.user.sub);
    return markReplay(reply, replayed).send(reservation);
  });

  fastify.delete('/stock/reservations/:reservationId', {
    onRequest: fastify.authenticate,
    schema: {
      tags,
      summary: 'Release a reservation: its stock goes back on sale (internal: cart, when a checkout ordered nothing)',
      description: 'Held or confirmed stock is returned once; releasing a reservation that is already released or expired answers it as it is (Idempotent-Replayed: true).',
      security,
      params: ReservationParamsSchema,
      response: { 200: ReservationSchema, ...problemResponses(404) },
    },
  }, async (request, reply) => {
    const { reservation, replayed } = await fastify.stock.release(request.params.reservationId, request.user.sub);
    return markReplay(reply, replayed).send(reservation);
  });
}
