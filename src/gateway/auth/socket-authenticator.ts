/**
 * Where a socket is authenticated: by the single-use ticket in the
 * `connection_init` payload, or else by the session cookie of an upgrade that
 * came from an allowed Origin (checked at the upgrade). No credential means an
 * anonymous connection; a bad one is refused with the reason why.
 */
import type { Authenticated, Sessions } from '../../accounts/sessions.js';
import type { TicketIssuer } from '../../tickets/ticket-issuer.js';
import { CloseReason } from '../protocol/close-codes.js';
import { type Metrics, NO_METRICS } from '../../metrics/metrics.js';

export type SocketAuth =
  | { readonly ok: true; readonly auth: Authenticated | undefined }
  | { readonly ok: false; readonly reason: string };

/**
 * What a socket keeps of its session and user: the rows without their secrets
 * (password hash, cookie hash) or user agent. A socket holds this for its whole
 * life, so the strings it does not need are left out of the heap; operations
 * that need the full rows (a query or mutation over the socket) load them fresh.
 */
export function forSocket(auth: Authenticated): Authenticated {
  const { session, user } = auth;
  // Timestamps a socket never reads are zeroed (a small integer costs no heap
  // object, a millisecond time does); equal strings are shared, not copied.
  return {
    session: {
      id: session.id,
      user_id: user.id,
      token_hash: '',
      created_at: 0,
      last_seen_at: 0,
      idle_expires_at: session.idle_expires_at,
      absolute_expires_at: session.absolute_expires_at,
      user_agent: null,
    },
    user: {
      id: user.id,
      email: user.email === user.email_normalized ? user.email_normalized : user.email,
      email_normalized: user.email_normalized,
      name: user.name,
      password_hash: '',
      // Never trusted for a privilege: queries and mutations on the socket reload the user.
      role: 'user',
      created_at: 0,
      updated_at: 0,
    },
  };
}

export class SocketAuthenticator {
  constructor(
    private readonly tickets: TicketIssuer,
    private readonly sessions: Sessions,
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  /** Resolves the cookie's session at the upgrade; a missing or stale cookie is simply anonymous. */
  byCookie(secret: string | undefined): Promise<Authenticated | undefined> {
    return this.sessions.authenticate(secret);
  }

  async byInitPayload(
    payload: Record<string, unknown> | null | undefined,
    cookieAuth: Promise<Authenticated | undefined> | undefined,
  ): Promise<SocketAuth> {
    const token = payload?.['token'];
    if (token === undefined || token === null || token === '') {
      const fromCookie = cookieAuth === undefined ? undefined : await cookieAuth;
      if (fromCookie === undefined) return { ok: true, auth: undefined };
      // The cookie was resolved at the upgrade; a logout since then was announced before this
      // socket was watched, so look again: an ended session leaves the socket anonymous.
      const session = await this.sessions.check(fromCookie.session.id);
      return { ok: true, auth: session.status === 'live' ? forSocket(session.auth) : undefined };
    }
    const check = await this.tickets.redeem(token);
    this.metrics.ticketChecked(check.ok ? 'ok' : check.reason);
    if (!check.ok) return { ok: false, reason: check.reason };
    const session = await this.sessions.check(check.claims.sid);
    switch (session.status) {
      case 'live':
        if (session.auth.user.id !== check.claims.uid) return { ok: false, reason: CloseReason.sessionEnded };
        return { ok: true, auth: forSocket(session.auth) };
      case 'expired':
        return { ok: false, reason: CloseReason.sessionExpired };
      case 'user-gone':
        return { ok: false, reason: CloseReason.userGone };
      case 'ended':
        return { ok: false, reason: CloseReason.sessionEnded };
    }
  }
}
