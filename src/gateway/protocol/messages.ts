/**
 * The graphql-transport-ws messages, and the one validator that turns an
 * untrusted frame into a typed message or throws a {@link ProtocolError}.
 */
export const SUBPROTOCOL = 'graphql-transport-ws';

export interface SubscribePayload {
  readonly query: string;
  readonly variables?: Record<string, unknown> | null;
  readonly operationName?: string | null;
  readonly extensions?: Record<string, unknown> | null;
}

export type ClientMessage =
  | { readonly type: 'connection_init'; readonly payload?: Record<string, unknown> | null }
  | { readonly type: 'ping'; readonly payload?: Record<string, unknown> | null }
  | { readonly type: 'pong'; readonly payload?: Record<string, unknown> | null }
  | { readonly type: 'subscribe'; readonly id: string; readonly payload: SubscribePayload }
  | { readonly type: 'complete'; readonly id: string };

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function optionalRecord(value: unknown, what: string): Record<string, unknown> | null | undefined {
  if (value === undefined || value === null || isRecord(value)) return value;
  throw new ProtocolError(`"${what}" must be an object`);
}

function id(message: Record<string, unknown>): string {
  const value = message['id'];
  if (typeof value !== 'string' || value === '') throw new ProtocolError('"id" must be a non-empty string');
  if (value.length > 128) throw new ProtocolError('"id" is longer than 128 characters');
  return value;
}

function subscribePayload(value: unknown): SubscribePayload {
  if (!isRecord(value)) throw new ProtocolError('"payload" must be an object');
  const { query, operationName } = value;
  if (typeof query !== 'string') throw new ProtocolError('"payload.query" must be a string');
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    throw new ProtocolError('"payload.operationName" must be a string');
  }
  return {
    query,
    variables: optionalRecord(value['variables'], 'payload.variables'),
    operationName: operationName as string | null | undefined,
    extensions: optionalRecord(value['extensions'], 'payload.extensions'),
  };
}

/** Parses one text frame. Throws {@link ProtocolError} with an exact message for anything invalid. */
export function parseClientMessage(text: string): ClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError('message is not valid JSON');
  }
  if (!isRecord(value)) throw new ProtocolError('message must be a JSON object');
  switch (value['type']) {
    case 'connection_init':
    case 'ping':
    case 'pong':
      return { type: value['type'], payload: optionalRecord(value['payload'], 'payload') };
    case 'subscribe':
      return { type: 'subscribe', id: id(value), payload: subscribePayload(value['payload']) };
    case 'complete':
      return { type: 'complete', id: id(value) };
    default:
      throw new ProtocolError(
        typeof value['type'] === 'string' ? `unexpected message type "${value['type'].slice(0, 40)}"` : 'message has no "type"',
      );
  }
}
