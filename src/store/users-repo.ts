/** Users in the store. */
import type { Kysely } from 'kysely';
import type { Database, NewUser, Role, UserRow } from './tables.js';

export class UsersRepo {
  constructor(private readonly db: Kysely<Database>) {}

  byNormalizedEmail(emailNormalized: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('email_normalized', '=', emailNormalized).executeTakeFirst();
  }

  /** Inserts the user; resolves false when the email is taken (the unique key decides, not a prior read). */
  async insert(user: NewUser): Promise<boolean> {
    const result = await this.db
      .insertInto('users')
      .values(user)
      .onConflict((oc) => oc.column('email_normalized').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async setPasswordHash(id: string, passwordHash: string, now: number): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', id).execute();
  }

  /**
   * Gives the user with this normalised email the role; resolves the user as it
   * was before (so the caller can tell a change from a no-op), or undefined when
   * there is no such user.
   */
  async setRole(emailNormalized: string, role: Role, now: number): Promise<UserRow | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('users').selectAll().where('email_normalized', '=', emailNormalized).executeTakeFirst();
      if (before === undefined) return undefined;
      if (before.role !== role) {
        await trx.updateTable('users').set({ role, updated_at: now }).where('id', '=', before.id).execute();
      }
      return before;
    });
  }

  /** The users with this role, oldest first. */
  withRole(role: Role): Promise<UserRow[]> {
    return this.db.selectFrom('users').selectAll().where('role', '=', role).orderBy('created_at').orderBy('id').execute();
  }
}
