/**
 * The schema's history, one migration per step, written once for both dialects:
 * Kysely's schema builder emits the right SQL for SQLite and PostgreSQL.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';

const migrations: Record<string, Migration> = {
  '0001_users_and_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('email', 'text', (col) => col.notNull())
        .addColumn('email_normalized', 'text', (col) => col.notNull().unique())
        .addColumn('name', 'text')
        .addColumn('password_hash', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('token_hash', 'text', (col) => col.notNull().unique())
        .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('last_seen_at', 'bigint', (col) => col.notNull())
        .addColumn('idle_expires_at', 'bigint', (col) => col.notNull())
        .addColumn('absolute_expires_at', 'bigint', (col) => col.notNull())
        .addColumn('user_agent', 'text')
        .execute();
      await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();
      await db.schema.createIndex('sessions_idle_expires_at').on('sessions').column('idle_expires_at').execute();
      await db.schema
        .createIndex('sessions_absolute_expires_at')
        .on('sessions')
        .column('absolute_expires_at')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('sessions').execute();
      await db.schema.dropTable('users').execute();
    },
  },
  // Admins are a role stored with the user (granted by `npm run admin`), not an email
  // list that whoever registers the address first would claim.
  '0002_users_role': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('users')
        .addColumn('role', 'text', (col) => col.notNull().defaultTo('user').check(sql`role in ('user', 'admin')`))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('users').dropColumn('role').execute();
    },
  },
  // Single use of tickets across restarts on the embedded default (no Redis): see tickets/store-replay-guard.ts.
  '0003_used_tickets': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('used_tickets')
        .addColumn('jti', 'text', (col) => col.primaryKey())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema.createIndex('used_tickets_expires_at').on('used_tickets').column('expires_at').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('used_tickets').execute();
    },
  },
};

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/** Brings the database to the newest schema; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

