/** Users in the store. */
import type { Kysely } from 'kysely';
import type { Database, NewUser, UserRow } from './tables.js';

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
}
