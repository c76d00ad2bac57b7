/** The server's outgoing frames, serialized by hand where it pays: the per-subscriber `next`. */
import type { GraphQLFormattedError } from 'graphql';

export const ACK_FRAME = '{"type":"connection_ack"}';
export const PONG_FRAME = '{"type":"pong"}';

/**
 * The constant start of every `next` frame for one subscription id. The fan-out
 * serializes a payload once and sends `prefix + payload + "}"` to each subscriber.
 */
const sharedPrefixes = new Map<string, string>();

export function nextPrefix(id: string): string {
  if (id.length > 8) return `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  // Short ids ("1", "2", … as Apollo Client and urql number them) repeat across
  // sockets: one shared prefix string each instead of one per subscription.
  let prefix = sharedPrefixes.get(id);
  if (prefix === undefined) {
    prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
    if (sharedPrefixes.size < 4096) sharedPrefixes.set(id, prefix);
  }
  return prefix;
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
