/**
 * Hands a Fastify request to the gateway's GraphQL-over-SSE handler when it is
 * one (graphql-sse's either mode); false when it is an ordinary GraphQL-over-HTTP
 * request. The reply is hijacked (the stream outlives the handler), and the
 * headers hooks already set on it (CORS, helmet) are carried to the raw response.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SseHandler } from '../sse/sse-handler.js';

export async function serveSse(sse: SseHandler | undefined, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (sse === undefined) return false;
  const read = sse.read({ method: request.method, url: request.url, headers: request.headers, body: request.body });
  if (read.kind === 'not-sse') return false;
  reply.hijack();
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined && !reply.raw.headersSent) reply.raw.setHeader(name, value);
  }
  await sse.serve(read, request.raw, reply.raw);
  return true;
}
