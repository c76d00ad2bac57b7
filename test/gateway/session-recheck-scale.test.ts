/**
 * One periodic re-check of 20,000 watched sessions against a real store
 * (SQLite, and PostgreSQL when it answers): one `WHERE id IN (…)` query per 500
 * ids, the ended and expired sessions' sockets closed with the right reason,
 * the others left open, and the event loop never held for long. The time and
 * the worst event-loop delay are printed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { describe, test } from '../helpers/suite.js'; // counts a skipped suite's tests
import { Sessions } from '../../src/accounts/sessions.js';
import type { Connection } from '../../src/gateway/connection.js';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';
import { SessionWatch } from '../../src/gateway/session-watch.js';
import { tesseraSessions } from '../../src/sessions/tessera-sessions.js';
import { MemoryBus } from '../../src/pubsub/memory-bus.js';
import { openStore } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { SessionsRepo } from '../../src/store/sessions-repo.js';
import type { NewSession } from '../../src/store/tables.js';
import { backends } from '../helpers/backends.js';

const SESSIONS = 20_000;
const DELETED_EVERY = 100; // every 100th watched session has no row any more (200)
const EXPIRED_EVERY = 150; // every 150th (not deleted) has expired (about 130)

for (const { backend, skip } of await backends()) {
  describe(`re-checking ${SESSIONS.toLocaleString('en')} watched sessions (${backend.name})`, { skip }, () => {
    test('one query per 500 ids; ended and expired sockets close; the event loop stays free', async (t) => {
      const database = await backend.create();
      const store = openStore(database.url, mkdtempSync(join(tmpdir(), 'tessera-recheck-')));
      try {
        await migrateToLatest(store.db);
        const now = Date.now();
        await store.db
          .insertInto('users')
          .values({ id: 'u1', email: 'scale@example.test', email_normalized: 'scale@example.test', name: null, password_hash: 'x', role: 'user', created_at: now, updated_at: now })
          .execute();
        const ids = Array.from({ length: SESSIONS }, (_, i) => `session-${String(i).padStart(6, '0')}`);
        const rows: NewSession[] = [];
        for (const [i, id] of ids.entries()) {
          if (i % DELETED_EVERY === 0) continue;
          const expired = i % EXPIRED_EVERY === 0;
          rows.push({
            id,
            token_hash: `hash-${id}`,
            user_id: 'u1',
            created_at: now,
            last_seen_at: now,
            idle_expires_at: expired ? now - 1000 : now + 3_600_000,
            absolute_expires_at: now + 7_200_000,
            user_agent: null,
          });
        }
        for (let start = 0; start < rows.length; start += 500) {
          await store.db.insertInto('sessions').values(rows.slice(start, start + 500)).execute();
        }

        const repo = new SessionsRepo(store.db);
        let queries = 0;
        const livenessByIds = repo.livenessByIds.bind(repo);
        repo.livenessByIds = (batch) => {
          queries += Math.ceil(batch.length / 500);
          return livenessByIds(batch);
        };
        const sessions = new Sessions(repo, new MemoryBus(), { idleSeconds: 3600, absoluteSeconds: 7200 });
        const watch = new SessionWatch(tesseraSessions(sessions), { warn: () => {} }, { recheckMs: 3_600_000 });
        const closed = new Map<string, { code: number; reason: string }>();
        for (const id of ids) {
          const fake = {
            session: { id, userId: 'u1', expiresAt: now + 3_600_000 },
            close(code: number, reason: string) {
              closed.set(id, { code, reason });
              watch.remove(fake as unknown as Connection);
            },
          };
          watch.add(fake as unknown as Connection);
        }
        assert.equal(watch.sessionCount, SESSIONS);

        const delay = monitorEventLoopDelay({ resolution: 5 });
        delay.enable();
        const started = performance.now();
        await watch.recheckAll();
        const took = performance.now() - started;
        delay.disable();
        const worstMs = delay.max / 1e6;
        watch.stop();

        const text = `${backend.name}: one re-check of ${SESSIONS} sessions took ${took.toFixed(0)} ms in ${queries} queries; worst event-loop delay ${worstMs.toFixed(1)} ms`;
        t.diagnostic(text);
        console.log(`[recheck timing] ${text}`);

        assert.equal(queries, SESSIONS / 500, 'one query per 500 sessions');
        const expected = new Map<string, string>();
        for (const [i, id] of ids.entries()) {
          if (i % DELETED_EVERY === 0) expected.set(id, CloseReason.sessionEnded);
          else if (i % EXPIRED_EVERY === 0) expected.set(id, CloseReason.sessionExpired);
        }
        assert.equal(closed.size, expected.size, 'exactly the ended and expired sessions closed');
        for (const [id, reason] of expected) assert.deepEqual(closed.get(id), { code: CloseCode.Unauthorized, reason }, id);
        assert.equal(watch.sessionCount, SESSIONS - expected.size);
        // Generous bounds for a loaded 2-core machine; the figures printed above are what counts.
        assert.ok(took < 15_000, `one re-check took ${took} ms`);
        assert.ok(worstMs < 250, `the event loop was held for ${worstMs} ms`);
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
