// Stock reservations: the internal call cart makes at checkout.
//
// Who may call it: any valid access token (fastify.authenticate), not only admins, because cart
// forwards the signed-in user's bearer token and has no identity of its own yet. What keeps this
// safe: the reservation is bound to the token's subject (another user reusing the id gets 422),
// it only ever takes stock a real checkout could take, and the Ingress need not expose
// /catalog/stock at all — only cart has to reach it (NetworkPolicy). A service token issued to
// cart would be the next step if users must not be able to reserve directly.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ReservationRequestSchema, ReservationSchema } from '../schemas/stock.ts';

const problem = { $ref: 'Problem#' };
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, problem]));

export default async function stockRoutes(app: FastifyInstance) {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>();

  fastify.post('/stock/reservations', {
    onRequest: fastify.authenticate,
    schema: {
      tags: ['stock'],
      summary: 'Reserve stock for an order, all lines or none, exactly once per reservationId (internal: called by cart at checkout)',
      description: 'Returns the unit prices at reservation time. Retrying with the same reservationId and lines replays the original result (201, Idempotent-Replayed: true) without taking stock again; the same id with other lines is 422; not enough stock is 409 naming the product.',
      security: [{ bearer: [] }],
      body: ReservationRequestSchema,
      response: { 201: ReservationSchema, ...errors(400, 401, 409, 422) },
    },
  }, async (request, reply) => {
    const { reservation, replayed } = await fastify.stock.reserve(request.body, request.user.sub);
    if (replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(201).send(reservation);
  });
}
