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

  test('checks made in one turn share a query, each answered from the store as it is then; a session ended before the next turn is not live', async () => {
    const source = tesseraSessions(sessions);
    const now = Date.now();
    await store.db
      .insertInto('users')
      .values({ id: 'u-batch-gone', email: 'gone@example.test', email_normalized: 'gone@example.test', name: 'Gone', password_hash: 'h', role: 'user', created_at: now, updated_at: now })
      .execute();
    const created = await Promise.all(Array.from({ length: 70 }, () => sessions.create('u1', undefined))); // more than one query's worth
    const expired = await sessions.create('u1', undefined);
    await store.db.updateTable('sessions').set({ absolute_expires_at: now - 1 }).where('id', '=', expired.session.id).execute();
    const orphan = await sessions.create('u-batch-gone', undefined);
    await store.db.deleteFrom('users').where('id', '=', 'u-batch-gone').execute(); // its sessions go with it
    const ended = await sessions.create('u1', undefined);
    const ids = [...created.map((c) => c.session.id), expired.session.id, orphan.session.id, ended.session.id, 'no-such-session', created[3]!.session.id];
    // All asked in this turn; the session ended in this same turn, before the batch runs, must not be live.
    const checks = ids.map((id) => source.check(id));
    const ending = sessions.end(ended.session.id);
    const answers = await Promise.all(checks);
    await ending;
    for (let k = 0; k < 70; k++) {
      const answer = answers[k]!;
      assert.equal(answer.status, 'live');
      if (answer.status === 'live') assert.equal(answer.session.id, created[k]!.session.id, 'each check gets its own session');
    }
    assert.deepEqual(answers.slice(70, 74).map((a) => a.status), ['expired', 'ended', 'ended', 'ended']);
    assert.equal(answers[74]!.status, 'live', 'an id asked twice in one turn is answered twice');
    // No cache: a later check sees a deletion made after the first.
    await store.db.deleteFrom('sessions').where('id', '=', created[0]!.session.id).execute();
    assert.deepEqual(await source.check(created[0]!.session.id), { status: 'ended' });
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
