/**
 * The store: `npm run migrate` brings each database to the newest schema and
 * is idempotent; DATABASE_URL unset means `<DATA_DIR>/tessera.db`, created on
 * first use, in WAL mode; a `sqlite:` URL names a file too.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { backends } from '../helpers/backends.js';
import { HttpClient } from '../helpers/http-client.js';
import { startServer } from '../helpers/server.js';

function migrateCommand(): string[] {
  const compiled = fileURLToPath(new URL('../../src/migrate.js', import.meta.url));
  if (existsSync(compiled)) return [compiled];
  return ['--import', 'tsx', fileURLToPath(new URL('../../src/migrate.ts', import.meta.url))];
}

function migrate(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, migrateCommand(), { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

for (const { backend, skip } of await backends()) {
  describe(`store (${backend.name})`, { skip }, () => {
    it('npm run migrate applies the migrations once, then says the database is up to date', async () => {
      const database = await backend.create();
      try {
        const env = { DATABASE_URL: database.url, DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-migrate-')) };
        const first = await migrate(env);
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, /applied 0001_users_and_sessions/);
        const second = await migrate(env);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, /already up to date/);
        // A server started on the migrated database works.
        const server = await startServer({ DATABASE_URL: database.url }, backend);
        try {
          await new HttpClient(server.url).register();
        } finally {
          await server.close();
        }
      } finally {
        await database.drop();
      }
    });

    it('a server starting on a migrated database keeps its data across restarts', async () => {
      const database = await backend.create();
      try {
        let server = await startServer({ DATABASE_URL: database.url }, backend);
        const client = new HttpClient(server.url);
        const { email, password, id } = await client.register();
        await server.close();
        server = await startServer({ DATABASE_URL: database.url }, backend);
        try {
          const again = new HttpClient(server.url);
          assert.equal((await again.login(email, password)).body.data?.accountsLogin?.id, id);
        } finally {
          await server.close();
        }
      } finally {
        await database.drop();
      }
    });
  });
}

describe('embedded SQLite default', () => {
  it('DATABASE_URL unset means <DATA_DIR>/tessera.db, created on first use, in WAL mode', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'tessera-default-')), 'nested', 'data');
    const result = await migrate({ DATA_DIR: dataDir });
    assert.equal(result.code, 0, result.stderr);
    const file = join(dataDir, 'tessera.db');
    assert.ok(existsSync(file), `${file} exists`);
    const db = new SqliteDatabase(file, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const tables = db.prepare("select name from sqlite_master where type = 'table' order by name").all() as { name: string }[];
      assert.ok(tables.some((t) => t.name === 'users') && tables.some((t) => t.name === 'sessions'));
    } finally {
      db.close();
    }
  });

  it('a sqlite: URL names a file, and the running server uses WAL mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-url-'));
    const server = await startServer({ DATABASE_URL: `sqlite:${join(dir, 'x.db')}` });
    try {
      assert.equal(server.tessera.store.dialect, 'sqlite');
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(server.tessera.store.db);
      assert.equal(mode.rows[0]?.journal_mode, 'wal');
      await new HttpClient(server.url).register();
      assert.ok(existsSync(join(dir, 'x.db')));
    } finally {
      await server.close();
    }
  });
});
