/**
 * tesseraSessions: Tessera's own sessions (SQLite) as the gateway's SessionSource.
 * The cookie is read under its name only, the session checked in the store, what a
 * socket keeps is stripped of secrets, and sessions ended here are announced at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Sessions } from '../../src/accounts/sessions.js';
import { MemoryBus } from '../../src/pubsub/memory-bus.js';
import { tesseraSessions } from '../../src/sessions/tessera-sessions.js';
import { openStore, type Store } from '../../src/store/database.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { SessionsRepo } from '../../src/store/sessions-repo.js';

describe('tesseraSessions (SQLite)', () => {
  let store: Store;
  let sessions: Sessions;
  const bus = new MemoryBus();

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-sessions-'));
    store = openStore(join(dir, 'test.db'), dir);
    await migrateToLatest(store.db);
    const now = Date.now();
    await store.db
      .insertInto('users')
      .values({ id: 'u1', email: 'One@Example.test', email_normalized: 'one@example.test', name: 'One', password_hash: 'argon2-hash', role: 'admin', created_at: now, updated_at: now })
      .execute();
    sessions = new Sessions(new SessionsRepo(store.db), bus, { idleSeconds: 3600, absoluteSeconds: 7200 });
  });

  after(async () => {
    await store.close();
    await bus.close();
  });

  test('fromCookie finds the live session by its cookie, under the configured name only', async () => {
    const source = tesseraSessions(sessions, { cookieName: 'tessera_session' });
    const { secret, session } = await sessions.create('u1', 'test-agent');
    const found = await source.fromCookie(`other=1; tessera_session=${secret}; x=y`);
    assert.equal(found?.id, session.id);
    assert.equal(found?.userId, 'u1');
    assert.equal(found?.expiresAt, Math.min(session.idle_expires_at, session.absolute_expires_at));
    assert.equal(found?.user?.user.role, 'admin', 'the full rows, for the context function');
    assert.equal(await source.fromCookie(`__Host-tessera_session=${secret}`), undefined, 'another cookie name');
    assert.equal(await source.fromCookie('tessera_session=forged'), undefined);
    assert.equal(await source.fromCookie(''), undefined);
    assert.equal(await tesseraSessions(sessions).fromCookie(`__Host-tessera_session=${secret}`).then((s) => s?.id), session.id, 'the Secure name by default');
  });

  test('check and checkMany answer live, ended and expired; forSocket strips the secrets', async () => {
    const source = tesseraSessions(sessions);
    const { session } = await sessions.create('u1', 'test-agent');
    const live = await source.check(session.id);
    assert.equal(live.status, 'live');
    if (live.status !== 'live') return;
    assert.equal(live.session.user?.user.password_hash, 'argon2-hash');
    const kept = source.forSocket?.(live.session);
    assert.equal(kept?.id, session.id);
    assert.equal(kept?.userId, 'u1');
    assert.equal(kept?.expiresAt, live.session.expiresAt);
    assert.equal(kept?.user?.user.password_hash, '');
    assert.equal(kept?.user?.session.token_hash, '');
    assert.equal(kept?.user?.session.user_agent, null);
    assert.equal(kept?.user?.user.role, 'user', 'a socket never holds a privilege');
    await store.db.updateTable('sessions').set({ idle_expires_at: Date.now() - 1 }).where('id', '=', session.id).execute();
    assert.deepEqual(await source.check(session.id), { status: 'expired' });
    assert.deepEqual(await source.check('no-such-session'), { status: 'ended' });
    const statuses = await source.checkMany?.([session.id, 'no-such-session']);
    assert.deepEqual([...(statuses ?? [])].sort(), [[session.id, 'expired'], ['no-such-session', 'ended']].sort());
  });

  test('onEnded tells the gateway of sessions ended in this process, until unsubscribed', async () => {
    const source = tesseraSessions(sessions);
    const told: [readonly string[], string][] = [];
    const stop = source.onEnded?.((ids, reason) => told.push([ids, reason]));
    const { session } = await sessions.create('u1', undefined);
    await sessions.end(session.id);
    assert.deepEqual(told, [[[session.id], 'session ended']]);
    stop?.();
    const other = await sessions.create('u1', undefined);
    await sessions.end(other.session.id);
    assert.equal(told.length, 1);
  });
});
