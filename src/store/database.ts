/**
 * Opens the store named by DATABASE_URL: unset, a file path or `sqlite:` is the
 * embedded SQLite (WAL mode); `postgres://` is PostgreSQL.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase as SqliteDialectDatabase } from 'kysely';
import pg from 'pg';
import { type Database, type DirectSqlite, runDirectlyOn } from '../accounts/index.js';
import { urlWithoutPassword } from '../index.js';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: 'sqlite' | 'postgres';
  /** Where the data lives, with any password removed: safe to log. */
  readonly description: string;
  close(): Promise<void>;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/** The SQLite file a DATABASE_URL names (or the default under the data directory). */
export function sqlitePath(url: string | undefined, dataDir: string): string {
  if (url === undefined) return resolve(join(dataDir, 'tessera.db'));
  if (url === ':memory:' || url === 'sqlite::memory:') return ':memory:';
  const path = url.replace(/^sqlite:(\/\/)?/i, '');
  return resolve(path);
}

/**
 * Kysely's SQLite driver prepares every query anew, and preparing costs more
 * than running these small queries (it led the profile of socket connects);
 * better-sqlite3 statements are reusable, so they are kept by SQL text, with a
 * bound. SQLite re-prepares a kept statement itself if the schema changes.
 */
function withStatementCache(sqlite: SqliteDatabase.Database, capacity = 256): SqliteDialectDatabase & DirectSqlite {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => sqlite.close(),
    get inTransaction() {
      return sqlite.inTransaction;
    },
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = sqlite.prepare(sql);
        if (statements.size >= capacity) statements.delete(statements.keys().next().value as string);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

function openSqlite(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const handle = withStatementCache(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: handle }) });
  runDirectlyOn(db, handle);
  return { db, dialect: 'sqlite', description: `sqlite:${path}`, close: () => db.destroy() };
}

// Timestamps are BIGINT; pg returns those as strings unless told otherwise.
// Millisecond epochs fit a double exactly, so they are parsed as numbers,
// on this pool only (not pg's global type table).
const INT8_OID = 20;
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

function openPostgres(url: string): Store {
  const pool = new pg.Pool({ connectionString: url, max: 10, types: pgTypes, connectionTimeoutMillis: 5000 });
  // A client losing its connection must not crash the process: idle ones report
  // through the pool, checked-out ones through their own 'error' event (the
  // running query is rejected as well, and answered 503). The next query reconnects.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', description: urlWithoutPassword(url), close: () => db.destroy() };
}

export function openStore(url: string | undefined, dataDir: string): Store {
  return isPostgresUrl(url) ? openPostgres(url) : openSqlite(sqlitePath(url, dataDir));
}
