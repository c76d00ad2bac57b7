/**
 * The schema's history, one migration per step, written once for both dialects:
 * Kysely's schema builder emits the right SQL for SQLite and PostgreSQL (a step that
 * differs between them says so).
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, SqliteAdapter, sql } from 'kysely';

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
  // Cheaper ticket claims (one per socket connect): the table holds only the tickets used within
  // one lifetime (a minute by default), so the purge scans it instead of keeping an index on
  // expires_at up to date on every claim. On SQLite the table is also rebuilt WITHOUT ROWID,
  // keyed by jti alone: a claim then writes one B-tree where it wrote three (rowid table, jti
  // index, expiry index), 19 instead of 31 µs of CPU per claim (bench/ticket-claims.mjs).
  '0004_used_tickets_compact': {
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('used_tickets_expires_at').execute();
      if (isSqlite(db)) await rebuildUsedTickets(db, true);
    },
    async down(db: Kysely<unknown>) {
      if (isSqlite(db)) await rebuildUsedTickets(db, false);
      await db.schema.createIndex('used_tickets_expires_at').on('used_tickets').column('expires_at').execute();
    },
  },
};

/** SQLite only: the used-tickets table built anew, with or without a rowid, its rows copied over. */
async function rebuildUsedTickets(db: Kysely<unknown>, withoutRowid: boolean): Promise<void> {
  let table = db.schema
    .createTable('used_tickets_rebuilt')
    .addColumn('jti', 'text', (col) => col.primaryKey())
    .addColumn('expires_at', 'bigint', (col) => col.notNull());
  if (withoutRowid) table = table.modifyEnd(sql`without rowid`);
  await table.execute();
  await sql`insert into used_tickets_rebuilt (jti, expires_at) select jti, expires_at from used_tickets`.execute(db);
  await db.schema.dropTable('used_tickets').execute();
  await db.schema.alterTable('used_tickets_rebuilt').renameTo('used_tickets').execute();
}

/** Whether the migration runs on SQLite (the only dialect besides PostgreSQL). */
function isSqlite(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof SqliteAdapter;
}

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/**
 * Brings the database to the named migration, up or down (rolling a step back by hand, and
 * the tests of a step's data migration); throws with the failing migration's error.
 */
export async function migrateTo(db: Kysely<any>, name: string): Promise<string[]> {
  const { error, results } = await new Migrator({ db, provider }).migrateTo(name);
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Brings the database to the newest schema; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

