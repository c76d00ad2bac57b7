/**
 * Where a socket is authenticated: by the single-use ticket in the
 * `connection_init` payload, or else by the session cookie of an upgrade that
 * came from an allowed Origin (checked at the upgrade). No credential means an
 * anonymous connection; a bad one is refused with the reason why. Sessions come
 * from the app's {@link SessionSource}; this never reads a store itself.
 */
import type { GatewaySession, SessionSource } from '../../sessions/session-source.js';
import type { TicketCheck } from '../../tickets/ticket.js';
import { CloseReason } from '../protocol/close-codes.js';
import { type Metrics, NO_METRICS } from '../../metrics/metrics.js';

export type SocketAuth =
  | { readonly ok: true; readonly session: GatewaySession | undefined }
  | { readonly ok: false; readonly reason: string };

/** What the authenticator needs of tickets: redeeming one (verify + spend). */
export interface TicketRedeemer {
  redeem(ticket: unknown): Promise<TicketCheck>;
}

export class SocketAuthenticator {
  constructor(
    private readonly tickets: TicketRedeemer,
    private readonly sessions: SessionSource,
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  /** Resolves the cookie's session at the upgrade; a missing or stale cookie is simply anonymous. */
  byCookie(cookieHeader: string): Promise<GatewaySession | undefined> {
    return this.sessions.fromCookie(cookieHeader);
  }

  /** What the socket keeps of a live session for its whole life (the source's `forSocket`, else the session). */
  #kept(session: GatewaySession): GatewaySession {
    return this.sessions.forSocket === undefined ? session : this.sessions.forSocket(session);
  }

  async byInitPayload(
    payload: Record<string, unknown> | null | undefined,
    cookieAuth: Promise<GatewaySession | undefined> | undefined,
  ): Promise<SocketAuth> {
    const token = payload?.['token'];
    if (token === undefined || token === null || token === '') {
      const fromCookie = cookieAuth === undefined ? undefined : await cookieAuth;
      if (fromCookie === undefined) return { ok: true, session: undefined };
      // The cookie was resolved at the upgrade; a logout since then was announced before this
      // socket was watched, so look again: an ended session leaves the socket anonymous.
      const check = await this.sessions.check(fromCookie.id);
      return { ok: true, session: check.status === 'live' ? this.#kept(check.session) : undefined };
    }
    const check = await this.tickets.redeem(token);
    this.metrics.ticketChecked(check.ok ? 'ok' : check.reason);
    if (!check.ok) return { ok: false, reason: check.reason };
    const session = await this.sessions.check(check.claims.sid);
    switch (session.status) {
      case 'live':
        if (session.session.userId !== check.claims.uid) return { ok: false, reason: CloseReason.sessionEnded };
        return { ok: true, session: this.#kept(session.session) };
      case 'expired':
        return { ok: false, reason: CloseReason.sessionExpired };
      case 'user-gone':
        return { ok: false, reason: CloseReason.userGone };
      case 'ended':
        return { ok: false, reason: CloseReason.sessionEnded };
    }
  }
}
