/**
 * Socket tickets: short-lived, HMAC-SHA256-signed, naming one session, meant
 * to be used once. Pure: no clock, no storage (the replay guard is separate).
 *
 * Format: `t1.<base64url JSON claims>.<base64url HMAC of "t1.<claims>">`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TicketClaims {
  /** Session id. */
  readonly sid: string;
  /** User id. */
  readonly uid: string;
  /** Expiry, ms since the epoch. */
  readonly exp: number;
  /**
   * When it was signed, ms since the epoch. Absent from tickets signed before
   * Tessera 0.3; a replay guard that remembers only since its own start (see
   * `rememberedSince` in replay-guard.ts) refuses those, and any ticket older than itself.
   */
  readonly iat?: number;
  /** Random id, the key of single use. */
  readonly jti: string;
}

/** Why a ticket is refused; these strings are the close reasons clients see. */
export const TicketFailure = {
  MALFORMED: 'ticket malformed',
  BAD_SIGNATURE: 'ticket signature invalid',
  EXPIRED: 'ticket expired',
  REPLAYED: 'ticket already used',
  /** Refused by a replay guard that keeps spent tickets in memory: it cannot know whether one older than itself was spent before a restart. */
  BEFORE_START: 'ticket issued before this server started',
} as const;
export type TicketFailure = (typeof TicketFailure)[keyof typeof TicketFailure];

export type TicketCheck =
  | { readonly ok: true; readonly claims: TicketClaims }
  | { readonly ok: false; readonly reason: TicketFailure };

const PREFIX = 't1';
const MAX_TICKET_LENGTH = 1024;

function mac(secret: string, signed: string): Buffer {
  return createHmac('sha256', secret).update(signed).digest();
}

export function signTicket(
  subject: { sessionId: string; userId: string },
  secret: string,
  now: number,
  ttlSeconds: number,
): string {
  const claims: TicketClaims = {
    sid: subject.sessionId,
    uid: subject.userId,
    exp: now + ttlSeconds * 1000,
    jti: randomBytes(16).toString('base64url'),
    iat: now,
  };
  const signed = `${PREFIX}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signed}.${mac(secret, signed).toString('base64url')}`;
}

function parseClaims(encoded: string): TicketClaims | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { sid, uid, exp, jti, iat } = value as Record<string, unknown>;
    if (typeof sid !== 'string' || typeof uid !== 'string' || typeof jti !== 'string') return undefined;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
    if (iat === undefined) return { sid, uid, exp, jti };
    if (typeof iat !== 'number' || !Number.isFinite(iat)) return undefined;
    return { sid, uid, exp, jti, iat };
  } catch {
    return undefined;
  }
}

/**
 * Checks format, signature (against every secret, for rotation) and expiry.
 * Single use is the caller's next step, with the claims' `jti`.
 */
export function verifyTicket(ticket: unknown, secrets: readonly string[], now: number): TicketCheck {
  if (typeof ticket !== 'string' || ticket.length > MAX_TICKET_LENGTH) return { ok: false, reason: TicketFailure.MALFORMED };
  const parts = ticket.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return { ok: false, reason: TicketFailure.MALFORMED };
  const [, encodedClaims = '', encodedMac = ''] = parts;
  const given = Buffer.from(encodedMac, 'base64url');
  // Node decodes base64url leniently (trailing junk, non-zero padding bits):
  // only the canonical encoding of the bytes counts, so a ticket has one spelling.
  if (given.toString('base64url') !== encodedMac) return { ok: false, reason: TicketFailure.BAD_SIGNATURE };
  const signed = `${PREFIX}.${encodedClaims}`;
  let valid = false;
  for (const secret of secrets) {
    const expected = mac(secret, signed);
    if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
  }
  if (!valid) return { ok: false, reason: TicketFailure.BAD_SIGNATURE };
  const claims = parseClaims(encodedClaims);
  if (claims === undefined) return { ok: false, reason: TicketFailure.MALFORMED };
  if (claims.exp <= now) return { ok: false, reason: TicketFailure.EXPIRED };
  return { ok: true, claims };
}
