/**
 * A SessionSource for express-session and any connect-style store
 * (`store.get(sid, callback)`: its MemoryStore, connect-redis,
 * connect-pg-simple…): the gateway reads the same sessions the app's
 * express-session middleware writes.
 *
 * The cookie is read as express-session reads it: the first `connect.sid`
 * cookie of the header, URI-decoded (the `cookie` package, as express-session
 * uses), `s:` + value + `.` + signature, checked with `cookie-signature` against
 * each secret in turn. An unsigned or badly signed cookie names no session.
 */
import { parse } from 'cookie';
import signature from 'cookie-signature';
import type { GatewaySession, SessionCheck, SessionSource } from './session-source.js';
import { checkEntry, type StoredSession } from './store-entry.js';

/** The one method of a connect store the gateway uses (express-session's `Store#get`). */
export interface ConnectStore<TData = unknown> {
  get(sid: string, callback: (error: unknown, session?: TData | null) => void): void;
}

export interface ConnectSessionsOptions<TData extends StoredSession, TUser> {
  /** The store given to express-session. */
  readonly store: ConnectStore<TData>;
  /** express-session's `secret`: one string, or several (the first signs, every one verifies). */
  readonly secret: string | readonly string[];
  /** express-session's `name`; default 'connect.sid'. */
  readonly cookieName?: string;
  /** The signed-in user's id in the session data (e.g. `(data) => data.userId`); undefined when nobody is signed in. */
  readonly userId: (data: TData) => string | undefined | null;
  /** What the gateway's context function sees as `session.user`; default: nothing. Kept for the socket's life. */
  readonly user?: (data: TData) => TUser;
  /** The clock, in ms since the epoch; default Date.now. */
  readonly now?: () => number;
}

/** The session id inside a signed express-session cookie value, or undefined. */
export function unsignConnectCookie(value: string, secrets: readonly string[]): string | undefined {
  if (!value.startsWith('s:')) return undefined;
  for (const secret of secrets) {
    const sid = signature.unsign(value.slice(2), secret);
    if (sid !== false) return sid;
  }
  return undefined;
}

function getEntry<TData>(store: ConnectStore<TData>, sid: string): Promise<TData | null | undefined> {
  return new Promise((resolve, reject) => {
    store.get(sid, (error, session) => (error ? reject(error) : resolve(session)));
  });
}

export function connectSessions<TData extends StoredSession = StoredSession & Record<string, unknown>, TUser = unknown>(
  options: ConnectSessionsOptions<TData, TUser>,
): SessionSource<TUser> {
  const { store, userId, user } = options;
  const secrets = typeof options.secret === 'string' ? [options.secret] : [...options.secret];
  if (secrets.length === 0 || secrets.some((secret) => typeof secret !== 'string' || secret === '')) {
    throw new TypeError('connectSessions needs the secret (or secrets) express-session signs its cookie with');
  }
  const cookieName = options.cookieName ?? 'connect.sid';
  const now = options.now ?? Date.now;

  async function check(sessionId: string): Promise<SessionCheck<TUser>> {
    const entry = await getEntry(store, sessionId);
    return checkEntry(sessionId, entry, { userId, user }, now());
  }

  return {
    check,
    async fromCookie(cookieHeader: string): Promise<GatewaySession<TUser> | undefined> {
      const value = parse(cookieHeader)[cookieName];
      if (value === undefined) return undefined;
      const sid = unsignConnectCookie(value, secrets);
      if (sid === undefined) return undefined;
      const result = await check(sid);
      return result.status === 'live' ? result.session : undefined;
    },
  };
}
