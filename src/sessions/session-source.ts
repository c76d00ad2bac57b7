/**
 * The one interface between the gateway and a session system (Tessera's own
 * accounts, express-session or any connect-style store, @fastify/session,
 * Lucia, Kratos, a table of your own). The gateway never reads a session
 * store itself: it asks this.
 *
 * - `fromCookie` resolves the session named by the Cookie header of a socket
 *   upgrade (or stream request) that came from an allowed Origin. It is never
 *   called for a request from any other Origin.
 * - `check` says whether a session id is still live, with its expiry: at
 *   ticket redemption, before every query or mutation over the socket, when a
 *   watched session reaches its expiry (it may have slid), and on the periodic
 *   re-check (SESSION_RECHECK_SECONDS) that makes revocation at-least-once.
 * - `checkMany`, when present, answers the periodic re-check in batches.
 * - `forSocket`, when present, slims what each socket keeps of its session.
 * - `onEnded`, when present, is how the session system tells this process's
 *   gateway that sessions ended here (so their sockets close at once even when
 *   the bus is down). An app whose session system has no such hook calls
 *   `gateway.endSessions(ids, reason)` itself, e.g. in its logout handler.
 */

/** A live session as the gateway sees it. */
export interface GatewaySession<TUser = unknown> {
  /** The session id: tickets bind to it, `endSessions` names it. Never the cookie's secret. */
  readonly id: string;
  /** Whose session: the per-user socket cap and `scope: 'user'` fan-out groups key on it. */
  readonly userId: string;
  /**
   * When the session expires unless it is used again (ms since the epoch), or
   * `Infinity`. The socket closes with 4401 `session expired` then, after one more
   * `check` (a sliding session may have moved on).
   */
  readonly expiresAt: number;
  /** Whatever the app wants its context function to see (its user row, roles…). Kept for the socket's life: keep it small. */
  readonly user?: TUser;
}

export type SessionCheck<TUser = unknown> =
  | { readonly status: 'live'; readonly session: GatewaySession<TUser> }
  | { readonly status: 'ended' | 'expired' | 'user-gone' };

export type SessionStatus = SessionCheck['status'];

export interface SessionSource<TUser = unknown> {
  /** The session the Cookie header names, if it is live; undefined for none, a stale or a forged cookie. */
  fromCookie(cookieHeader: string): Promise<GatewaySession<TUser> | undefined>;
  /** Whether the session with this id is live now. Rejects only when the store cannot be reached. */
  check(sessionId: string): Promise<SessionCheck<TUser>>;
  /** Many at once (for the periodic re-check); an id missing from the answer counts as `ended`. Optional. */
  checkMany?(sessionIds: readonly string[]): Promise<ReadonlyMap<string, SessionStatus>>;
  /**
   * What a socket keeps of a live session for its whole life (its `user` slimmed to what
   * subscriptions need, say): thousands of sockets each hold one. Optional: by default
   * the session as `check` answered it. Queries and mutations over the socket get the
   * session as a fresh `check` answers it, never this.
   */
  forSocket?(session: GatewaySession<TUser>): GatewaySession<TUser>;
  /** Calls `listener` when sessions end in this process; returns the unsubscribe function. Optional. */
  onEnded?(listener: (sessionIds: readonly string[], reason: string) => void): () => void;
}
