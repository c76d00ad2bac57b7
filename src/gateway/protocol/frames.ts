/** The server's outgoing frames, serialized by hand where it pays: the per-subscriber `next`. */
import type { GraphQLFormattedError } from 'graphql';

export const ACK_FRAME = '{"type":"connection_ack"}';
export const PONG_FRAME = '{"type":"pong"}';

/**
 * The constant start of every `next` frame for one subscription id. The fan-out
 * serializes a payload once and sends `prefix + payload + "}"` to each subscriber.
 */
export function nextPrefix(id: string): string {
  return `{"id":${JSON.stringify(id)},"type":"next","payload":`;
}

export function nextFrame(id: string, payloadJson: string): string {
  return `${nextPrefix(id)}${payloadJson}}`;
}

export function errorFrame(id: string, errors: readonly GraphQLFormattedError[]): string {
  return JSON.stringify({ id, type: 'error', payload: errors });
}

export function completeFrame(id: string): string {
  return JSON.stringify({ id, type: 'complete' });
}
