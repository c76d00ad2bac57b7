/** Sends what graphql/over-http.ts answered with a Fastify reply (the plugin's routes and the demo's /graphql). */
import type { FastifyReply } from 'fastify';
import type { HttpAnswer } from '../graphql/over-http.js';

export function sendAnswer(reply: FastifyReply, answer: HttpAnswer): FastifyReply {
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
  return reply.code(answer.status).type(`${answer.media}; charset=utf-8`).send(answer.body);
}
