/**
 * Server-side sessions: created at sign-in, found by the cookie's secret,
 * slid forward on use (idle expiry) up to an absolute expiry, and ended on
 * logout. Every end is told to this process's listeners at once and announced
 * on the bus so that sockets close on every node; a failed announcement does not
 * fail the logout (the row is gone): other nodes find out by re-checking.
 */
import type { Bus, RevocationMessage } from '../pubsub/bus.js';
import { Channels } from '../pubsub/bus.js';
import type { SessionsRepo } from '../store/sessions-repo.js';
import type { SessionRow, UserRow } from '../store/tables.js';
import { hashSessionSecret, isWellFormedSecret, newId, newSessionSecret } from './session-token.js';

/** The close reasons of sockets whose session ended; clients may match on them. */
export const SessionEndReason = {
  ENDED: 'session ended',
  EXPIRED: 'session expired',
} as const;

export interface SessionTtls {
  readonly idleSeconds: number;
  readonly absoluteSeconds: number;
}

export interface Authenticated {
  readonly session: SessionRow;
  readonly user: UserRow;
}

export type SessionCheck =
  | { readonly status: 'live'; readonly auth: Authenticated }
  | { readonly status: 'ended' | 'expired' | 'user-gone' };

export type SessionStatus = SessionCheck['status'];

/** Told, in this process, of sessions that ended here, before (and whether or not) the bus carries it. */
export type SessionsEndedListener = (sessionIds: readonly string[], reason: string) => void;

export interface SessionsLog {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

const silent: SessionsLog = { warn: () => {}, error: () => {} };

export function isSessionLive(session: SessionRow, now: number): boolean {
  return session.idle_expires_at > now && session.absolute_expires_at > now;
}

/** When a live session will expire unless it is used again. */
export function sessionExpiresAt(session: SessionRow): number {
  return Math.min(session.idle_expires_at, session.absolute_expires_at);
}

export class Sessions {
  readonly #touchEveryMs: number;
  readonly #endedListeners = new Set<SessionsEndedListener>();

  constructor(
    private readonly sessions: SessionsRepo,
    private readonly bus: Bus,
    private readonly ttls: SessionTtls,
    private readonly now: () => number = Date.now,
    private readonly log: SessionsLog = silent,
  ) {
    // Sliding the idle expiry on every request would write on every request;
    // a tenth of the idle TTL (at most a minute) keeps the error small.
    this.#touchEveryMs = Math.min(60_000, (ttls.idleSeconds * 1000) / 10);
  }

  /** Starts a new session (a new id every time, so a planted cookie is useless); resolves the cookie secret. */
  async create(userId: string, userAgent: string | undefined): Promise<{ secret: string; session: SessionRow }> {
    const now = this.now();
    const secret = newSessionSecret();
    const absolute = now + this.ttls.absoluteSeconds * 1000;
    const session: SessionRow = {
      id: newId(),
      token_hash: hashSessionSecret(secret),
      user_id: userId,
      created_at: now,
      last_seen_at: now,
      idle_expires_at: Math.min(absolute, now + this.ttls.idleSeconds * 1000),
      absolute_expires_at: absolute,
      user_agent: userAgent === undefined ? null : userAgent.slice(0, 512),
    };
    await this.sessions.insert(session);
    return { secret, session };
  }

  /** Finds the live session a cookie secret belongs to, and slides its idle expiry. */
  async authenticate(secret: string | undefined): Promise<Authenticated | undefined> {
    if (secret === undefined || !isWellFormedSecret(secret)) return undefined;
    const found = await this.sessions.withUser({ tokenHash: hashSessionSecret(secret) });
    const now = this.now();
    if (found === undefined || !isSessionLive(found.session, now)) return undefined;
    const { session, user } = found;
    if (user === undefined) return undefined;
    if (now - session.last_seen_at >= this.#touchEveryMs) {
      const idle = Math.min(session.absolute_expires_at, now + this.ttls.idleSeconds * 1000);
      await this.sessions.touch(session.id, now, idle);
      return { session: { ...session, last_seen_at: now, idle_expires_at: idle }, user };
    }
    return { session, user };
  }

  /** Whether the session with this id is still live, and if so with its user. */
  async check(sessionId: string): Promise<SessionCheck> {
    const found = await this.sessions.withUser({ id: sessionId });
    if (found === undefined) return { status: 'ended' };
    if (!isSessionLive(found.session, this.now())) return { status: 'expired' };
    return found.user === undefined ? { status: 'user-gone' } : { status: 'live', auth: { session: found.session, user: found.user } };
  }

  /**
   * The status of each of these sessions, as {@link check} would say, in one
   * `WHERE id IN (…)` query per 500 ids (a node re-checking the sessions it holds).
   */
  async checkMany(sessionIds: readonly string[]): Promise<Map<string, SessionStatus>> {
    const rows = await this.sessions.livenessByIds(sessionIds);
    const now = this.now();
    const statuses = new Map<string, SessionStatus>();
    for (const id of sessionIds) statuses.set(id, 'ended');
    for (const row of rows) {
      const live = row.idle_expires_at > now && row.absolute_expires_at > now;
      statuses.set(row.id, !live ? 'expired' : row.userExists ? 'live' : 'user-gone');
    }
    return statuses;
  }

  /** Calls `listener` for every session ended in this process (the gateway closes its own sockets at once). */
  onEnded(listener: SessionsEndedListener): () => void {
    this.#endedListeners.add(listener);
    return () => this.#endedListeners.delete(listener);
  }

  listForUser(userId: string): Promise<SessionRow[]> {
    return this.sessions.listForUser(userId, this.now());
  }

  async end(sessionId: string): Promise<void> {
    if (await this.sessions.delete(sessionId)) await this.#announce([sessionId], SessionEndReason.ENDED);
  }

  /** Ends every session of the user, but `keepId` when given. */
  async endAllForUser(userId: string, keepId?: string): Promise<void> {
    const ended = await this.sessions.deleteForUser(userId, keepId);
    await this.#announce(ended, SessionEndReason.ENDED);
  }

  /** Deletes expired rows and closes their sockets everywhere; resolves how many. */
  async purgeExpired(): Promise<number> {
    const ended = await this.sessions.deleteExpired(this.now());
    await this.#announce(ended, SessionEndReason.EXPIRED);
    return ended.length;
  }

  /**
   * Tells this process first (its sockets close even if Redis is down), then the
   * other nodes through the bus. A failed publish is logged, not thrown: the rows are
   * already deleted, so the ending stands, and every node re-checks the sessions it
   * holds every SESSION_RECHECK_SECONDS (and after the bus reconnects), which closes
   * the sockets this message would have closed.
   */
  async #announce(sessionIds: string[], reason: string): Promise<void> {
    if (sessionIds.length === 0) return;
    for (const listener of this.#endedListeners) {
      try {
        listener(sessionIds, reason);
      } catch (error) {
        this.log.error({ err: error }, 'a session-ended listener failed');
      }
    }
    const message: RevocationMessage = { sessionIds, reason, endedAt: this.now() }; // the wall clock (Date.now in production), as the receiving nodes read it
    try {
      await this.bus.publish(Channels.revocations, JSON.stringify(message));
    } catch (error) {
      this.log.warn(
        { err: { message: (error as Error).message }, sessions: sessionIds.length },
        'could not announce ended sessions to the other nodes; they close those sockets at their next session re-check',
      );
    }
  }
}
