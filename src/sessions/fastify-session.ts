/**
 * A SessionSource for @fastify/session: the gateway reads the sessions the
 * app's @fastify/session plugin writes to its store.
 *
 * The cookie is read as @fastify/session reads it: the `sessionId` cookie
 * (after its `cookiePrefix`, if one is set), parsed and unsigned by
 * @fastify/cookie's own `parse` and `Signer` (the one @fastify/session signs
 * with), with the same secret(s) and algorithm. A badly signed cookie names no
 * session.
 */
import { fastifyCookie, Signer } from '@fastify/cookie';
import type { GatewaySession, SessionCheck, SessionSource } from './session-source.js';
import { checkEntry, type StoredSession } from './store-entry.js';

/** The one method of a @fastify/session store the gateway uses. */
export interface FastifySessionStore<TData = unknown> {
  get(sessionId: string, callback: (error: unknown, session?: TData | null) => void): void;
}

/** A signer as @fastify/session accepts one in `secret` (e.g. @fastify/cookie's `Signer`). */
export interface CookieSigner {
  unsign(input: string): { readonly valid: boolean; readonly value: string | null };
}

export interface FastifySessionsOptions<TData extends StoredSession, TUser> {
  /** The store given to @fastify/session (its default is a MemoryStore you cannot reach: pass one to both). */
  readonly store: FastifySessionStore<TData>;
  /** @fastify/session's `secret`: a string (32 characters at least), several (the first signs), or a signer object. */
  readonly secret: string | readonly string[] | CookieSigner;
  /** @fastify/session's `algorithm`; default 'sha256'. */
  readonly algorithm?: string;
  /** @fastify/session's `cookieName`; default 'sessionId'. */
  readonly cookieName?: string;
  /** @fastify/session's `cookiePrefix`; default ''. */
  readonly cookiePrefix?: string;
  /** The signed-in user's id in the session (e.g. `(data) => data.userId`); undefined when nobody is signed in. */
  readonly userId: (data: TData) => string | undefined | null;
  /** What the gateway's context function sees as `session.user`; default: nothing. Kept for the socket's life. */
  readonly user?: (data: TData) => TUser;
  /** The clock, in ms since the epoch; default Date.now. */
  readonly now?: () => number;
}

function getEntry<TData>(store: FastifySessionStore<TData>, sessionId: string): Promise<TData | null | undefined> {
  return new Promise((resolve, reject) => {
    store.get(sessionId, (error, session) => {
      // @fastify/session treats ENOENT (file stores) as "no such session".
      if (error && (error as { code?: unknown }).code !== 'ENOENT') reject(error);
      else resolve(error ? undefined : session);
    });
  });
}

function signerOf(secret: FastifySessionsOptions<StoredSession, unknown>['secret'], algorithm: string): CookieSigner {
  if (typeof secret === 'string' || Array.isArray(secret)) {
    return new Signer(secret as string | string[], algorithm);
  }
  return secret as CookieSigner;
}

export function fastifySessions<TData extends StoredSession = StoredSession & Record<string, unknown>, TUser = unknown>(
  options: FastifySessionsOptions<TData, TUser>,
): SessionSource<TUser> {
  const { store, userId, user } = options;
  const signer = signerOf(options.secret, options.algorithm ?? 'sha256');
  const cookieName = options.cookieName ?? 'sessionId';
  const prefix = options.cookiePrefix ?? '';
  const now = options.now ?? Date.now;

  async function check(sessionId: string): Promise<SessionCheck<TUser>> {
    const entry = await getEntry(store, sessionId);
    return checkEntry(sessionId, entry, { userId, user }, now());
  }

  return {
    check,
    async fromCookie(cookieHeader: string): Promise<GatewaySession<TUser> | undefined> {
      const raw = fastifyCookie.parse(cookieHeader)[cookieName];
      if (raw === undefined || !raw.startsWith(prefix)) return undefined;
      const unsigned = signer.unsign(raw.slice(prefix.length));
      if (!unsigned.valid || unsigned.value === null) return undefined;
      const result = await check(unsigned.value);
      return result.status === 'live' ? result.session : undefined;
    },
  };
}
