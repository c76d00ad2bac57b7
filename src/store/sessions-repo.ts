/** Sessions in the store. */
import type { Kysely } from 'kysely';
import type { Database, NewSession, SessionRow } from './tables.js';

export class SessionsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(session: NewSession): Promise<void> {
    await this.db.insertInto('sessions').values(session).execute();
  }

  byTokenHash(tokenHash: string): Promise<SessionRow | undefined> {
    return this.db.selectFrom('sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
  }

  byId(id: string): Promise<SessionRow | undefined> {
    return this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
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
