/**
 * The session watch with fake connections and a fake store: revocation closes
 * every socket of a session, expiry closes them at the deadline found in one
 * heap with one timer, and a session slid by HTTP use is looked at again.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionCheck, SessionSource } from '../../src/sessions/session-source.js';
import type { Connection } from '../../src/gateway/connection.js';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';
import { SessionWatch } from '../../src/gateway/session-watch.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface FakeConnection {
  session: { id: string; userId: string; expiresAt: number };
  closed: { code: number; reason: string } | undefined;
  close(code: number, reason: string): void;
}

function connection(sessionId: string, expiresAt: number, watch?: SessionWatch): FakeConnection {
  const fake: FakeConnection = {
    session: { id: sessionId, userId: 'u', expiresAt },
    closed: undefined,
    close(code, reason) {
      if (this.closed !== undefined) return;
      this.closed = { code, reason };
      watch?.remove(this as unknown as Connection);
    },
  };
  return fake;
}

function fakeSessions(check: (id: string) => SessionCheck | Promise<SessionCheck>) {
  const asked: string[] = [];
  const sessions = {
    check: async (id: string) => {
      asked.push(id);
      return check(id);
    },
  } as unknown as SessionSource;
  return { sessions, asked };
}

const log = { warn: () => {} };
const add = (watch: SessionWatch, c: FakeConnection) => watch.add(c as unknown as Connection);

describe('SessionWatch', () => {
  test('revoke closes every socket of the named sessions with 4401 and the reason, and only those', () => {
    const { sessions } = fakeSessions(() => ({ status: 'ended' }));
    const watch = new SessionWatch(sessions, log);
    const far = Date.now() + 3_600_000;
    const [a1, a2, b] = [connection('a', far, watch), connection('a', far, watch), connection('b', far, watch)];
    for (const c of [a1, a2, b]) add(watch, c);
    assert.equal(watch.sessionCount, 2);
    watch.revoke(['a', 'unknown'], CloseReason.sessionEnded);
    assert.deepEqual(a1.closed, { code: CloseCode.Unauthorized, reason: 'session ended' });
    assert.deepEqual(a2.closed, { code: CloseCode.Unauthorized, reason: 'session ended' });
    assert.equal(b.closed, undefined);
    assert.equal(watch.sessionCount, 1);
    watch.stop();
  });

  test('a socket that left is not closed by a later revocation; the session stays watched while one remains', () => {
    const { sessions } = fakeSessions(() => ({ status: 'ended' }));
    const watch = new SessionWatch(sessions, log);
    const far = Date.now() + 3_600_000;
    const [gone, staying] = [connection('s', far, watch), connection('s', far, watch)];
    add(watch, gone);
    add(watch, staying);
    watch.remove(gone as unknown as Connection);
    assert.equal(watch.sessionCount, 1);
    watch.revoke(['s'], CloseReason.sessionEnded);
    assert.equal(gone.closed, undefined);
    assert.equal(staying.closed?.code, CloseCode.Unauthorized);
    assert.equal(watch.sessionCount, 0);
    watch.stop();
  });

  test('at its deadline, an expired session’s sockets close with "session expired"', async () => {
    const { sessions, asked } = fakeSessions(() => ({ status: 'expired' }));
    const watch = new SessionWatch(sessions, log);
    const c = connection('s', Date.now() + 40, watch);
    add(watch, c);
    await sleep(20);
    assert.equal(c.closed, undefined, 'not before the deadline');
    await sleep(60);
    assert.deepEqual(c.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionExpired });
    assert.deepEqual(asked, ['s']);
    watch.stop();
  });

  test('a session slid forward by HTTP use is rescheduled, not closed', async () => {
    let expiresAt = Date.now() + 30;
    const { sessions, asked } = fakeSessions((id) =>
      Date.now() < expiresAt
        ? ({ status: 'live', session: { id, userId: 'u', expiresAt } } as SessionCheck)
        : { status: 'expired' },
    );
    const watch = new SessionWatch(sessions, log);
    const c = connection('s', expiresAt, watch);
    add(watch, c);
    expiresAt += 80; // used over HTTP meanwhile
    await sleep(60);
    assert.equal(c.closed, undefined);
    assert.equal(asked.length, 1);
    await sleep(100);
    assert.deepEqual(c.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionExpired });
    watch.stop();
  });

  test('a store that cannot be reached keeps the sockets open (and looks again later)', async () => {
    const { sessions } = fakeSessions(() => {
      throw new Error('ECONNREFUSED');
    });
    const warnings: unknown[] = [];
    const watch = new SessionWatch(sessions, { warn: (o) => warnings.push(o) });
    const c = connection('s', Date.now() + 10, watch);
    add(watch, c);
    await sleep(50);
    assert.equal(c.closed, undefined);
    assert.equal(warnings.length, 1);
    watch.stop();
  });

  test('a session that never expires (expiresAt Infinity) arms no timer and is never checked for expiry, but is still revoked', async () => {
    const { sessions, asked } = fakeSessions(() => ({ status: 'expired' }));
    const watch = new SessionWatch(sessions, log);
    // Counts the timers armed meanwhile: setTimeout(fn, Infinity) would fire after 1 ms, again and again.
    const realSetTimeout = globalThis.setTimeout;
    let armed = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      armed += 1;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    try {
      const c = connection('forever', Infinity, watch);
      add(watch, c);
      await sleep(30);
      assert.equal(armed, 1, 'only the sleep of this test armed a timer');
      assert.equal(c.closed, undefined);
      assert.deepEqual(asked, [], 'no expiry check');
      watch.revoke(['forever'], CloseReason.sessionEnded);
      assert.deepEqual(c.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionEnded });
    } finally {
      globalThis.setTimeout = realSetTimeout;
      watch.stop();
    }
  });

  test('many sessions share one timer, not one each', () => {
    const { sessions } = fakeSessions(() => ({ status: 'expired' }));
    const watch = new SessionWatch(sessions, log);
    const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = timers();
    const base = Date.now() + 3_600_000;
    for (let i = 0; i < 1000; i++) add(watch, connection(`s${i}`, base + ((i * 7919) % 100_000), watch));
    assert.equal(watch.sessionCount, 1000);
    assert.ok(timers() - before <= 1, `${timers() - before} new timers for 1,000 sessions`);
    watch.stop();
  });

  test('after heavy churn (10,000 sockets come and go, the heap rebuilt), revocation still works', () => {
    const { sessions } = fakeSessions(() => ({ status: 'expired' }));
    const watch = new SessionWatch(sessions, log);
    const far = Date.now() + 3_600_000;
    for (let i = 0; i < 10_000; i++) {
      const c = connection(`s${i}`, far + i, watch);
      add(watch, c);
      watch.remove(c as unknown as Connection);
    }
    assert.equal(watch.sessionCount, 0);
    // After the churn, revocation and expiry still work for a new session.
    const c = connection('late', far, watch);
    add(watch, c);
    watch.revoke(['late'], CloseReason.sessionEnded);
    assert.equal(c.closed?.reason, 'session ended');
    watch.stop();
  });
});
