/**
 * Migration 0004 (the used-tickets table without its expiry index, and on SQLite
 * WITHOUT ROWID): the ticket ids already used before it are still refused after it,
 * the purge still removes expired ones, and it rolls back to 0003's shape with the
 * rows kept. On both backends.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/database.js';
import { migrateTo, migrateToLatest } from '../../src/store/migrations.js';
import { StoreReplayGuard } from '../../src/tickets/store-replay-guard.js';
import { backends } from '../helpers/backends.js';

/** The used-tickets table's indexes (by name) and, on SQLite, whether it is WITHOUT ROWID. */
async function shape(store: Store): Promise<{ indexes: string[]; withoutRowid: boolean | undefined }> {
  if (store.dialect === 'sqlite') {
    const rows = await sql<{ type: string; name: string; sql: string | null }>`select type, name, sql from sqlite_master where tbl_name = 'used_tickets'`.execute(store.db);
    const table = rows.rows.find((row) => row.type === 'table');
    return {
      indexes: rows.rows.filter((row) => row.type === 'index' && row.sql !== null).map((row) => row.name),
      withoutRowid: /without\s+rowid/i.test(table?.sql ?? ''),
    };
  }
  const rows = await sql<{ indexname: string }>`select indexname from pg_indexes where tablename = 'used_tickets' and indexname <> 'used_tickets_pkey'`.execute(store.db);
  return { indexes: rows.rows.map((row) => row.indexname), withoutRowid: undefined };
}

for (const { backend, skip } of await backends()) {
  describe(`used-tickets migration 0004 (${backend.name})`, { skip }, () => {
    test('tickets used before it stay used, the purge still works, and it rolls back with the rows kept', async () => {
      const database = await backend.create();
      const store = openStore(database.url, '/nonexistent');
      try {
        const now = 1_000_000;
        await migrateTo(store.db, '0003_used_tickets');
        assert.deepEqual((await shape(store)).indexes, ['used_tickets_expires_at']);
        const before = new StoreReplayGuard(store.db, () => now);
        assert.equal(await before.claim('used-live', now + 60_000), true);
        assert.equal(await before.claim('used-expired', now - 1), true);

        assert.deepEqual(await migrateToLatest(store.db), ['0004_used_tickets_compact']);
        const after = await shape(store);
        assert.deepEqual(after.indexes, [], 'no index on expires_at');
        if (store.dialect === 'sqlite') assert.equal(after.withoutRowid, true);

        const guard = new StoreReplayGuard(store.db, () => now);
        assert.equal(await guard.claim('used-live', now + 60_000), false, 'a ticket used before the migration is still used');
        assert.equal(await guard.claim('fresh', now + 60_000), true);
        assert.equal(await guard.claim('fresh', now + 60_000), false);
        assert.equal(await guard.purgeExpired(), 1, 'the expired row is purged (a scan, no index)');
        assert.equal(await guard.claim('used-expired', now + 60_000), true, 'its id is free once purged');

        await migrateTo(store.db, '0003_used_tickets');
        assert.deepEqual((await shape(store)).indexes, ['used_tickets_expires_at']);
        if (store.dialect === 'sqlite') assert.equal((await shape(store)).withoutRowid, false);
        const rolledBack = new StoreReplayGuard(store.db, () => now);
        for (const jti of ['used-live', 'fresh', 'used-expired']) assert.equal(await rolledBack.claim(jti, now + 60_000), false, `${jti} kept by the rollback`);
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
