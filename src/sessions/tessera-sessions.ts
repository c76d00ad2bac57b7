/**
 * Tessera's own sessions (accounts/sessions.ts) as a {@link SessionSource}: the
 * gateway finds the session by the session cookie of the upgrade, checks ids
 * against the sessions table, and is told at once of sessions ended in this
 * process. The session's `user` is the session row and user row
 * ({@link Authenticated}); what a socket keeps of it is stripped of secrets.
 */
import { parse } from 'cookie';
import { type Authenticated, type Sessions, sessionExpiresAt } from '../accounts/sessions.js';
import type { GatewaySession, SessionCheck, SessionSource, SessionStatus } from './session-source.js';

export interface TesseraSessionsOptions {
  /** The session cookie's name: `tessera_session`, or `__Host-tessera_session` when cookies are Secure (the default). */
  readonly cookieName?: string;
}

/** The cookie name Tessera's HTTP side sets (http/session-cookie.ts). */
export const TESSERA_SESSION_COOKIE = { secure: '__Host-tessera_session', insecure: 'tessera_session' } as const;

function toGatewaySession(auth: Authenticated): GatewaySession<Authenticated> {
  return { id: auth.session.id, userId: auth.user.id, expiresAt: sessionExpiresAt(auth.session), user: auth };
}

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

export function tesseraSessions(sessions: Sessions, options: TesseraSessionsOptions = {}): SessionSource<Authenticated> {
  const cookieName = options.cookieName ?? TESSERA_SESSION_COOKIE.secure;
  return {
    async fromCookie(cookieHeader: string) {
      const secret = parse(cookieHeader)[cookieName];
      const auth = await sessions.authenticate(secret);
      return auth === undefined ? undefined : toGatewaySession(auth);
    },
    async check(sessionId: string): Promise<SessionCheck<Authenticated>> {
      const check = await sessions.check(sessionId);
      return check.status === 'live' ? { status: 'live', session: toGatewaySession(check.auth) } : { status: check.status };
    },
    checkMany(sessionIds: readonly string[]): Promise<ReadonlyMap<string, SessionStatus>> {
      return sessions.checkMany(sessionIds);
    },
    forSocket(session: GatewaySession<Authenticated>): GatewaySession<Authenticated> {
      const user = session.user === undefined ? undefined : forSocket(session.user);
      return { id: session.id, userId: session.userId, expiresAt: session.expiresAt, user };
    },
    onEnded(listener) {
      return sessions.onEnded(listener);
    },
  };
}
