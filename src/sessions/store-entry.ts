/**
 * The pure part the session-store adapters share: from the entry a store
 * returned for a session id (or none), what the gateway should know. Both
 * express-session and @fastify/session keep the session's expiry in
 * `entry.cookie.expires` (a Date in memory, an ISO string once a store
 * serialized it, null/absent for a browser-session cookie).
 */
import type { SessionCheck } from './session-source.js';

/** The part of a stored session these adapters read. */
export interface StoredSession {
  readonly cookie?: { readonly expires?: Date | string | null; readonly originalExpires?: Date | string | null } | null;
}

/** The entry's expiry in ms since the epoch, Infinity when it has none, NaN when it is unreadable. */
export function expiryOf(entry: StoredSession): number {
  const cookie = entry.cookie;
  // @fastify/session decides with originalExpires first (index.js, decryptSession); express-session only has expires.
  const raw = cookie?.originalExpires ?? cookie?.expires;
  if (raw === undefined || raw === null) return Number.POSITIVE_INFINITY;
  return raw instanceof Date ? raw.getTime() : Date.parse(raw);
}

export interface EntryReaders<TData, TUser> {
  /** The signed-in user's id in this session's data; undefined when nobody is signed in (a visitor's session). */
  readonly userId: (data: TData) => string | undefined | null;
  /** What the context function should see as `session.user`; default: nothing. */
  readonly user?: ((data: TData) => TUser) | undefined;
}

/**
 * What a store's entry means for the session `id` at `now`: no entry, or one
 * nobody is signed in to, is `ended`; one whose cookie expired (or whose expiry
 * cannot be read) is `expired` (a store that sweeps expired entries reports them
 * as gone, so `ended`: either way the socket closes).
 */
export function checkEntry<TData extends StoredSession, TUser>(
  id: string,
  entry: TData | null | undefined,
  readers: EntryReaders<TData, TUser>,
  now: number,
): SessionCheck<TUser> {
  if (entry === null || entry === undefined) return { status: 'ended' };
  const expiresAt = expiryOf(entry);
  if (Number.isNaN(expiresAt) || expiresAt <= now) return { status: 'expired' };
  const userId = readers.userId(entry);
  if (userId === undefined || userId === null || userId === '') return { status: 'ended' };
  const session =
    readers.user === undefined ? { id, userId: String(userId), expiresAt } : { id, userId: String(userId), expiresAt, user: readers.user(entry) };
  return { status: 'live', session };
}
