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
 * A socket's copy of its session row: the fields it needs held, the stripped ones (the
 * cookie hash, the user agent, timestamps a socket never reads) read from the prototype as
 * '' / null / 0. A class of its own, not an object literal: a literal with the row's fields
 * shares the rows' hidden class, whose time fields hold a boxed number each even when 0.
 * (Stripped fields are not own properties: a spread or JSON of this copy leaves them out.)
 */
class SocketSessionRow {
  declare readonly token_hash: string;
  declare readonly created_at: number;
  declare readonly last_seen_at: number;
  declare readonly user_agent: string | null;
  constructor(
    readonly id: string,
    readonly user_id: string,
    readonly idle_expires_at: number,
    readonly absolute_expires_at: number,
  ) {}
}
Object.defineProperties(SocketSessionRow.prototype, {
  token_hash: { value: '', enumerable: true },
  created_at: { value: 0, enumerable: true },
  last_seen_at: { value: 0, enumerable: true },
  user_agent: { value: null, enumerable: true },
});

/** A socket's copy of its user row, as {@link SocketSessionRow}: no password hash, role `user`, no timestamps. */
class SocketUserRow {
  declare readonly password_hash: string;
  declare readonly role: 'user';
  declare readonly created_at: number;
  declare readonly updated_at: number;
  constructor(
    readonly id: string,
    readonly email: string,
    readonly email_normalized: string,
    readonly name: string | null,
  ) {}
}
Object.defineProperties(SocketUserRow.prototype, {
  password_hash: { value: '', enumerable: true },
  // Never trusted for a privilege: queries and mutations on the socket reload the user.
  role: { value: 'user', enumerable: true },
  created_at: { value: 0, enumerable: true },
  updated_at: { value: 0, enumerable: true },
});

/**
 * What a socket keeps of its session and user: the rows without their secrets
 * (password hash, cookie hash) or user agent. A socket holds this for its whole
 * life, so the strings it does not need are left out of the heap; operations
 * that need the full rows (a query or mutation over the socket) load them fresh.
 */
export function forSocket(auth: Authenticated): Authenticated {
  const { session, user } = auth;
  // Equal strings are shared, not copied.
  return {
    session: new SocketSessionRow(session.id, user.id, session.idle_expires_at, session.absolute_expires_at),
    user: new SocketUserRow(user.id, user.email === user.email_normalized ? user.email_normalized : user.email, user.email_normalized, user.name),
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
