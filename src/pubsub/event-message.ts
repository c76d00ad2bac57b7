/**
 * A topic's bus message: the event's JSON, or, when the event was logged for SSE
 * resumption, `#<id>\n` then the JSON, so that every node sends the same `id:`.
 * JSON text never starts with `#`, so the two cannot be confused. Pure.
 *
 * Rolling upgrades: a node older than this format drops id-carrying messages (not
 * JSON to it, logged); upgrade every node before turning a resumption log on.
 */
const MARK = '#';

export function encodeEventMessage(json: string, eventId: string | undefined): string {
  return eventId === undefined ? json : `${MARK}${eventId}\n${json}`;
}

export interface EventMessage {
  readonly json: string;
  readonly eventId: string | undefined;
}

export function decodeEventMessage(message: string): EventMessage {
  if (!message.startsWith(MARK)) return { json: message, eventId: undefined };
  const end = message.indexOf('\n');
  if (end === -1) return { json: message, eventId: undefined };
  return { json: message.slice(end + 1), eventId: message.slice(1, end) };
}
