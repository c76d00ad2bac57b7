/**
 * runCompiled on the embedded SQLite: the statement runs on the handle directly,
 * with Kysely's answer, and never inside somebody's open transaction (it then
 * waits for Kysely's turn).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CompiledQuery, sql } from 'kysely';
import { openStore, type Store } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { runCompiled } from '../../src/store/run-compiled.js';
import type { Database } from '../../src/store/tables.js';

const INSERT = 'insert into used_tickets (jti, expires_at) values (?, ?) on conflict (jti) do nothing returning jti';
const SELECT = 'select jti, expires_at from used_tickets where jti in (?, ?) order by jti';
const COUNT = 'select count(*) as n from used_tickets where jti = ?';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runCompiled (SQLite)', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-run-compiled-'));
    store = openStore(undefined, dir);
    await migrateToLatest(store.db);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('answers as Kysely does: the rows a statement returns, none for one that returns none', async () => {
    assert.deepEqual((await runCompiled(store.db, INSERT, ['a', 1])).rows, [{ jti: 'a' }]);
    assert.deepEqual((await runCompiled(store.db, INSERT, ['a', 1])).rows, [], 'a conflict inserts nothing');
    await runCompiled(store.db, INSERT, ['b', 2]);
    const direct = await runCompiled(store.db, SELECT, ['a', 'b']);
    const kysely = await store.db.executeQuery(CompiledQuery.raw(SELECT, ['a', 'b']));
    assert.deepEqual(direct.rows, kysely.rows);
    assert.deepEqual(direct.rows, [
      { jti: 'a', expires_at: 1 },
      { jti: 'b', expires_at: 2 },
    ]);
    assert.deepEqual((await runCompiled(store.db, 'delete from used_tickets where jti = ?', ['b'])).rows, []);
    await assert.rejects(runCompiled(store.db, 'select nope from used_tickets', []), /no such column/);
  });

  test('waits for an open transaction instead of joining it: a rollback does not take its row along', async () => {
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const transaction = store.db
      .transaction()
      .execute(async (trx) => {
        await sql`insert into used_tickets (jti, expires_at) values ('in-trx', 1)`.execute(trx);
        inside();
        await sleep(50);
        throw new Error('roll back');
      })
      .catch((error: Error) => error.message);
    await entered;
    const claim = runCompiled<{ jti: string }, Database>(store.db, INSERT, ['during-trx', 1]);
    assert.equal(await transaction, 'roll back');
    assert.deepEqual((await claim).rows, [{ jti: 'during-trx' }]);
    assert.deepEqual((await runCompiled(store.db, COUNT, ['during-trx'])).rows, [{ n: 1 }], 'the claim outlived the rollback');
    assert.deepEqual((await runCompiled(store.db, COUNT, ['in-trx'])).rows, [{ n: 0 }]);
  });

  test('runs while a result stream is open on the connection', async () => {
    for (const jti of ['s1', 's2', 's3']) await runCompiled(store.db, INSERT, [jti, 1]);
    const stream = store.db.selectFrom('used_tickets').select('jti').where('jti', 'like', 's%').stream(1);
    const first = await stream.next();
    assert.equal(first.done, false);
    const claim = runCompiled<{ jti: string }, Database>(store.db, INSERT, ['after-stream', 1]);
    let rest = 0;
    for await (const _row of stream) rest++;
    assert.equal(rest, 2);
    assert.deepEqual((await claim).rows, [{ jti: 'after-stream' }]);
  });
});
