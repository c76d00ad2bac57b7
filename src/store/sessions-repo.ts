/** Sessions in the store. */
import type { InferResult, Kysely } from 'kysely';
import type { Database, NewSession, SessionRow, UserRow } from './tables.js';
import { powerOfTwoChunks, SameTurnBatch } from './same-turn-batch.js';
import { runCompiled } from './run-compiled.js';

/** A session with its user (undefined if the user row is gone), read in one query. */
export interface SessionWithUser {
  readonly session: SessionRow;
  readonly user: UserRow | undefined;
}

function withUserQuery(db: Kysely<Database>) {
  return db
    .selectFrom('sessions')
    .leftJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id as id',
      'sessions.token_hash as token_hash',
      'sessions.user_id as user_id',
      'sessions.created_at as created_at',
      'sessions.last_seen_at as last_seen_at',
      'sessions.idle_expires_at as idle_expires_at',
      'sessions.absolute_expires_at as absolute_expires_at',
      'sessions.user_agent as user_agent',
      'users.id as u_id',
      'users.email as u_email',
      'users.email_normalized as u_email_normalized',
      'users.name as u_name',
      'users.password_hash as u_password_hash',
      'users.role as u_role',
      'users.created_at as u_created_at',
      'users.updated_at as u_updated_at',
    ]);
}

type WithUserRow = InferResult<ReturnType<typeof withUserQuery>>[number];

function toSessionWithUser(row: WithUserRow): SessionWithUser {
  const session: SessionRow = {
    id: row.id,
    token_hash: row.token_hash,
    user_id: row.user_id,
    created_at: row.created_at,
    last_seen_at: row.last_seen_at,
    idle_expires_at: row.idle_expires_at,
    absolute_expires_at: row.absolute_expires_at,
    user_agent: row.user_agent,
  };
  const user: UserRow | undefined =
    row.u_id === null
      ? undefined
      : {
          id: row.u_id,
          email: row.u_email as string,
          email_normalized: row.u_email_normalized as string,
          name: row.u_name,
          password_hash: row.u_password_hash as string,
          role: row.u_role === 'admin' ? 'admin' : 'user',
          created_at: row.u_created_at as number,
          updated_at: row.u_updated_at as number,
        };
  return { session, user };
}

/**
 * The most ids one batched query names. PostgreSQL allows 65,535 parameters and
 * SQLite 32,766 (999 before 3.32): 500 stays far below both, and keeps each
 * query short enough not to hold the event loop (SQLite runs on it).
 */
export const MAX_IDS_PER_QUERY = 500;

/**
 * The most session ids one batched look-up by id names: the checks of the sockets whose
 * `connection_init` arrived in one event-loop turn share one `WHERE id IN (…)` query.
 */
export const MAX_IDS_PER_LOOKUP = 64;

/** What a batched re-check needs of a session: its expiries and whether its user still exists. */
export interface SessionLiveness {
  readonly id: string;
  readonly idle_expires_at: number;
  readonly absolute_expires_at: number;
  readonly userExists: boolean;
}

export class SessionsRepo {
  // This query runs for every authenticated request and socket: its SQL is
  // built once per key column (and, by id, per batch size), then run with new
  // parameters (Kysely would otherwise rebuild and recompile it each time).
  readonly #byTokenSql: string;
  readonly #byIdsSql = new Map<number, string>();
  // Look-ups by id made in one event-loop turn go in one query (store/same-turn-batch.ts):
  // each is answered from the rows as they are when the query runs, never from a cache.
  readonly #byIdBatch = new SameTurnBatch<string, SessionWithUser | undefined>((ids) => this.#withUserByIds(ids), MAX_IDS_PER_LOOKUP);

  constructor(private readonly db: Kysely<Database>) {
    this.#byTokenSql = withUserQuery(db).where('sessions.token_hash', '=', '').compile().sql;
  }

  async insert(session: NewSession): Promise<void> {
    await this.db.insertInto('sessions').values(session).execute();
  }

  /** The session with this id or cookie hash, and its user, in one round trip (by id: shared with the other look-ups of this turn). */
  async withUser(by: { id: string } | { tokenHash: string }): Promise<SessionWithUser | undefined> {
    if ('id' in by) return this.#byIdBatch.add(by.id);
    const result = await runCompiled<WithUserRow, Database>(this.db, this.#byTokenSql, [by.tokenHash]);
    const row = result.rows[0];
    return row === undefined ? undefined : toSessionWithUser(row);
  }

  async #withUserByIds(ids: readonly string[]): Promise<(SessionWithUser | undefined)[]> {
    if (ids.length === 1) {
      // The common case (one socket's check in its turn).
      const result = await runCompiled<WithUserRow, Database>(this.db, this.#byIdsSqlFor(ids), ids);
      const row = result.rows[0];
      return [row === undefined ? undefined : toSessionWithUser(row)];
    }
    const distinct = [...new Set(ids)];
    const found = new Map<string, SessionWithUser>();
    let start = 0;
    for (const size of powerOfTwoChunks(distinct.length)) {
      const chunk = distinct.slice(start, start + size);
      start += size;
      const result = await runCompiled<WithUserRow, Database>(this.db, this.#byIdsSqlFor(chunk), chunk);
      for (const row of result.rows) found.set(row.id, toSessionWithUser(row));
    }
    return ids.map((id) => found.get(id));
  }

  /** `SELECT … WHERE sessions.id IN (…)` for as many ids as `ids` has, compiled once per size. */
  #byIdsSqlFor(ids: readonly string[]): string {
    let text = this.#byIdsSql.get(ids.length);
    if (text === undefined) {
      text = withUserQuery(this.db).where('sessions.id', 'in', ids).compile().sql;
      this.#byIdsSql.set(ids.length, text);
    }
    return text;
  }

  /**
   * The sessions among `ids` that still have a row (absent ones were deleted), one
   * `WHERE id IN (…)` query per {@link MAX_IDS_PER_QUERY} ids.
   */
  async livenessByIds(ids: readonly string[]): Promise<SessionLiveness[]> {
    const found: SessionLiveness[] = [];
    for (let start = 0; start < ids.length; start += MAX_IDS_PER_QUERY) {
      const chunk = ids.slice(start, start + MAX_IDS_PER_QUERY);
      const rows = await this.db
        .selectFrom('sessions')
        .leftJoin('users', 'users.id', 'sessions.user_id')
        .select([
          'sessions.id as id',
          'sessions.idle_expires_at as idle_expires_at',
          'sessions.absolute_expires_at as absolute_expires_at',
          'users.id as u_id',
        ])
        .where('sessions.id', 'in', chunk)
        .execute();
      for (const row of rows) {
        found.push({
          id: row.id,
          idle_expires_at: row.idle_expires_at,
          absolute_expires_at: row.absolute_expires_at,
          userExists: row.u_id !== null,
        });
      }
    }
    return found;
  }

  listForUser(userId: string, now: number): Promise<SessionRow[]> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('idle_expires_at', '>', now)
      .where('absolute_expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute();
  }

  async touch(id: string, now: number, idleExpiresAt: number): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ last_seen_at: now, idle_expires_at: idleExpiresAt })
      .where('id', '=', id)
      .execute();
  }

  /** Deletes one session; resolves whether it existed. */
  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Deletes the user's sessions (but `keepId`, if given); resolves the ids deleted. */
  async deleteForUser(userId: string, keepId?: string): Promise<string[]> {
    let query = this.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (keepId !== undefined) query = query.where('id', '!=', keepId);
    const rows = await query.returning('id').execute();
    return rows.map((row) => row.id);
  }

  /** Deletes expired sessions; resolves the ids deleted. */
  async deleteExpired(now: number): Promise<string[]> {
    const rows = await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('idle_expires_at', '<=', now), eb('absolute_expires_at', '<=', now)]))
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  }
}
