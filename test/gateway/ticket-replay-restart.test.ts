/**
 * Single use of tickets survives a restart on the embedded default (no Redis):
 * the spent ids are kept in the process's memory, and the new process refuses
 * every ticket signed before it started, spent or not, so none can be replayed;
 * the connect path writes nothing to the store. `StoreReplayGuard` (used tickets
 * in the store, for several processes sharing a database) is tested here too,
 * on both backends.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';
import { openStore } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { StoreReplayGuard } from '../../src/tickets/store-replay-guard.js';
import { backends } from '../helpers/backends.js';
import { HttpClient } from '../helpers/http-client.js';
import { startServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

for (const { backend, skip } of await backends()) {
  describe(`used tickets across a restart (${backend.name})`, { skip }, () => {
    test('after a restart every ticket signed before it is refused with 4403, the spent one and the unspent one; a fresh one works once', async () => {
      const database = await backend.create();
      try {
        let server = await startServer({ DATABASE_URL: database.url });
        const http = new HttpClient(server.url);
        await http.register();
        const ticket = await http.ticket();
        const unused = await http.ticket();
        const first = await RawClient.open(server.wsUrl);
        await first.init({ token: ticket });
        first.close();
        await first.closed;
        await server.close();

        // The same database, a new process (and a new port).
        server = await startServer({ DATABASE_URL: database.url });
        try {
          for (const old of [ticket, unused]) {
            const replay = await RawClient.open(server.wsUrl);
            replay.send({ type: 'connection_init', payload: { token: old } });
            assert.deepEqual(await replay.waitForClose(), { code: CloseCode.Forbidden, reason: CloseReason.ticketBeforeStart });
          }
          // The session lives on: a ticket signed by the new process works, once.
          const http2 = new HttpClient(server.url);
          for (const [name, value] of http.cookies) http2.cookies.set(name, value);
          const fresh = await http2.ticket();
          const ok = await RawClient.open(server.wsUrl);
          await ok.init({ token: fresh });
          ok.close();
          const again = await RawClient.open(server.wsUrl);
          again.send({ type: 'connection_init', payload: { token: fresh } });
          assert.deepEqual(await again.waitForClose(), { code: CloseCode.Forbidden, reason: CloseReason.ticketReplayed });
          const rows = await server.tessera.store.db.selectFrom('used_tickets').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
          assert.equal(Number(rows.n), 0, 'no store write per connect');
        } finally {
          await server.close();
        }
      } finally {
        await database.drop();
      }
    });

    test('StoreReplayGuard: insert-if-absent, one winner among concurrent claims, rows purged once expired', async () => {
      const database = await backend.create();
      const store = openStore(database.url, '/nonexistent');
      try {
        await migrateToLatest(store.db);
        let now = 1_000_000;
        const guard = new StoreReplayGuard(store.db, () => now);
        assert.equal(await guard.claim('a', now + 60_000), true);
        assert.equal(await guard.claim('a', now + 60_000), false);
        const racing = await Promise.all(Array.from({ length: 10 }, () => guard.claim('b', now + 30_000)));
        assert.equal(racing.filter(Boolean).length, 1, 'exactly one of ten concurrent claims wins');
        const count = async () => Number((await store.db.selectFrom('used_tickets').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
        assert.equal(await count(), 2);
        now += 30_000;
        assert.equal(await guard.purgeExpired(), 1, 'b expired');
        assert.equal(await count(), 1);
        now += 30_000;
        assert.equal(await guard.purgeExpired(), 1, 'a expired');
        assert.equal(await count(), 0);
      } finally {
        await store.close();
        await database.drop();
      }
    });

    test('StoreReplayGuard: claims of one turn share statements, each answered as if alone; two guards on one store race fairly', async () => {
      const database = await backend.create();
      const store = openStore(database.url, '/nonexistent');
      try {
        await migrateToLatest(store.db);
        const now = 1_000_000;
        const guard = new StoreReplayGuard(store.db, () => now);
        const other = new StoreReplayGuard(store.db, () => now); // a second process on the same store
        assert.equal(await guard.claim('used', now + 60_000), true);
        // 150 claims in one turn (more than one statement's worth, a size that is no power of two):
        // 100 distinct fresh ids, each named once, 'dup' named three times, 'used' already spent,
        // and 'raced' claimed through both guards.
        const fresh = Array.from({ length: 100 }, (_, k) => `fresh-${k}`);
        const claims = [
          ...fresh.map((jti) => guard.claim(jti, now + 60_000)),
          guard.claim('dup', now + 60_000),
          guard.claim('used', now + 60_000),
          guard.claim('dup', now + 60_000),
          guard.claim('raced', now + 60_000),
          other.claim('raced', now + 60_000),
          guard.claim('dup', now + 60_000),
          ...Array.from({ length: 44 }, (_, k) => other.claim(`fresh-${k}`, now + 60_000)),
        ];
        const results = await Promise.all(claims);
        assert.deepEqual(results.slice(0, 100), fresh.map(() => true), 'every fresh id wins once');
        assert.deepEqual(results.slice(100, 103), [true, false, false], 'a jti named three times in one batch: the first claim wins');
        assert.equal(results[103]! !== results[104]!, true, 'of two guards racing on one jti exactly one wins');
        assert.equal(results[105], false);
        assert.deepEqual(results.slice(106), Array.from({ length: 44 }, () => false), 'ids claimed through the first guard are spent for the second');
        const count = Number((await store.db.selectFrom('used_tickets').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
        assert.equal(count, 103, 'one row per distinct id');
        assert.equal(await guard.claim('fresh-7', now + 60_000), false, 'spent in a later turn too');
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
