/**
 * Runs SQL that was compiled once (the hot look-ups and claims of a socket
 * connect) with new parameters.
 *
 * On the embedded SQLite the statement runs on the better-sqlite3 handle
 * directly, without Kysely's per-query machinery: its driver serialises
 * every query behind an async mutex and builds a query id, a connection
 * wrapper and a chain of promises for each (4.6 of the 36 KB a socket
 * connect allocated, measured with the sampling heap profiler), although
 * better-sqlite3 runs the statement synchronously anyway. The answer is the
 * same as Kysely's (`rows` of a statement that returns rows), from the
 * database as it is when the call is made; nothing is cached but the
 * prepared statement.
 *
 * Kysely's mutex also keeps a query out of an open transaction (Kysely runs
 * a transaction's statements on the one connection, with awaits between
 * them): while the handle is inside one, the query goes through Kysely and
 * waits for the mutex as it always did. (An open result stream is no
 * obstacle: better-sqlite3 runs other statements while one iterates.)
 * Any other Kysely instance (PostgreSQL, or one an application made itself)
 * is always run through Kysely.
 */
import { CompiledQuery, type Kysely } from 'kysely';

/** What the direct path needs of a better-sqlite3 handle. */
export interface DirectSqlite {
  readonly inTransaction: boolean;
  prepare(sql: string): { readonly reader: boolean; all(parameters: readonly unknown[]): unknown[]; run(parameters: readonly unknown[]): unknown };
}

const direct = new WeakMap<Kysely<never>, DirectSqlite>();

/** Lets {@link runCompiled} run `db`'s statements on `sqlite` (the handle `db`'s SqliteDialect was made with). */
export function runDirectlyOn<DB>(db: Kysely<DB>, sqlite: DirectSqlite): void {
  direct.set(db as unknown as Kysely<never>, sqlite);
}

/** `sql` with `parameters` on `db`: rows of a statement that returns any, else none. */
export function runCompiled<R, DB>(db: Kysely<DB>, sql: string, parameters: readonly unknown[]): Promise<{ readonly rows: R[] }> {
  const sqlite = direct.get(db as unknown as Kysely<never>);
  if (sqlite !== undefined && !sqlite.inTransaction) {
    try {
      const statement = sqlite.prepare(sql);
      if (!statement.reader) {
        statement.run(parameters);
        return Promise.resolve({ rows: [] });
      }
      return Promise.resolve({ rows: statement.all(parameters) as R[] });
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
  return db.executeQuery<R>(CompiledQuery.raw(sql, [...parameters]));
}
