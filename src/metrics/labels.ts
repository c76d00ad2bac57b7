/**
 * Bounded label values. A close code and reason can come from the client (any
 * code from 1000 to 4999, any 123 bytes of text), so they are mapped onto the
 * codes and reasons Tessera knows; anything else is `other`. Pure.
 */
import { CloseCode, CloseReason } from '../index.js';
import { TicketFailure } from '../tickets/index.js';

export const OTHER = 'other';

// RFC 6455's codes a peer or `ws` itself may close with, beside Tessera's own.
const KNOWN_CODES = new Set<number>([1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1011, 1012, 1013, 1014]);
for (const code of Object.values(CloseCode)) if (typeof code === 'number') KNOWN_CODES.add(code);

const KNOWN_REASONS = new Set<string>(
  Object.values(CloseReason).filter((reason): reason is Exclude<typeof reason, (id: string) => string> => typeof reason === 'string'),
);
KNOWN_REASONS.add('keep-alive timeout: no pong'); // ws-adapter's KEEPALIVE_TIMEOUT (not sent: logged and counted)
const SUBSCRIBER_EXISTS = /^Subscriber for .* already exists$/s;

export function closeCodeLabel(code: number): string {
  return KNOWN_CODES.has(code) ? String(code) : OTHER;
}

/** The reason without its variable part (`invalid message: <detail>` → `invalid message`), or `other`. */
export function closeReasonLabel(reason: string): string {
  if (reason === '' || KNOWN_REASONS.has(reason)) return reason;
  if (reason.startsWith(`${CloseReason.invalidMessage}:`)) return CloseReason.invalidMessage;
  if (SUBSCRIBER_EXISTS.test(reason)) return CloseReason.subscriberExists('<id>');
  return OTHER;
}

const TICKET_RESULTS = new Set<string>(['ok', ...Object.values(TicketFailure)]);

export function ticketResultLabel(result: string): string {
  return TICKET_RESULTS.has(result) ? result : OTHER;
}

export function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : OTHER;
}

export function rateLimitScopeLabel(scope: string): string {
  return scope === 'ip' || scope === 'email' || scope === 'email-ip' || scope === 'device' ? scope : OTHER;
}
