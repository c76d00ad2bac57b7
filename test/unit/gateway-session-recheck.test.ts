/**
 * At-least-once revocation in the session watch, with fake connections and a
 * fake store: the periodic batched re-check (scheduling, batches, no overlap,
 * store failures), the full re-check on demand (after the bus reconnects), and
 * the tombstones that catch a revocation handled while a socket was being admitted.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionCheck, SessionSource, SessionStatus } from '../../src/sessions/session-source.js';
import type { Connection } from '../../src/gateway/connection.js';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';
import { SessionWatch, type SessionWatchOptions } from '../../src/gateway/session-watch.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FAR = () => Date.now() + 3_600_000;

/** Waits until `condition` holds (generous, for a loaded machine); fails after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await sleep(5);
  }
}

interface FakeConnection {
  session: { id: string; userId: string; expiresAt: number };
  closed: { code: number; reason: string } | undefined;
  close(code: number, reason: string): void;
}

function connection(sessionId: string, watch: () => SessionWatch): FakeConnection {
  const expiresAt = FAR();
  return {
    session: { id: sessionId, userId: 'u', expiresAt },
    closed: undefined,
    close(code, reason) {
      if (this.closed !== undefined) return;
      this.closed = { code, reason };
      watch().remove(this as unknown as Connection);
    },
  };
}

/** A store whose sessions have the statuses in `statuses` (absent: live); records every query. */
function fakeStore(statuses: Map<string, SessionStatus> = new Map()) {
  const batches: string[][] = [];
  const single: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const store = {
    delayMs: 0,
    failing: false,
    batches,
    single,
    get maxInFlight() {
      return maxInFlight;
    },
    statuses,
    sessions: {
      checkMany: async (ids: readonly string[]) => {
        batches.push([...ids]);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          // Read when asked, answered later: as a real query is.
          const answer = new Map(ids.map((id) => [id, statuses.get(id) ?? 'live'] as const));
          if (store.delayMs > 0) await sleep(store.delayMs);
          if (store.failing) throw new Error('ECONNREFUSED');
          return answer;
        } finally {
          inFlight--;
        }
      },
      check: async (id: string): Promise<SessionCheck> => {
        single.push(id);
        const status = statuses.get(id) ?? 'live';
        if (status !== 'live') return { status };
        const at = FAR();
        return { status, session: { id, userId: 'u', expiresAt: at } };
      },
    } as unknown as SessionSource,
  };
  return store;
}

function setUp(options: SessionWatchOptions, statuses?: Map<string, SessionStatus>) {
  const store = fakeStore(statuses);
  const warnings: string[] = [];
  const watch = new SessionWatch(store.sessions, { warn: (_o, message) => warnings.push(message) }, options);
  const open = (sessionId: string, checkedSince?: number) => {
    const c = connection(sessionId, () => watch);
    const admitted = watch.add(c as unknown as Connection, checkedSince);
    return { c, admitted };
  };
  return { store, watch, warnings, open };
}

describe('SessionWatch: periodic re-check', () => {
  test('every recheckMs, sessions the store no longer holds as live close with the matching reason; live ones stay', async () => {
    const statuses = new Map<string, SessionStatus>([
      ['ended', 'ended'],
      ['expired', 'expired'],
      ['orphan', 'user-gone'],
    ]);
    const { store, watch, open } = setUp({ recheckMs: 80 }, statuses);
    const live = open('live').c;
    const ended = open('ended').c;
    const expired = open('expired').c;
    const orphan = open('orphan').c;
    await sleep(30);
    assert.equal(store.batches.length, 0, 'nothing asked before the period');
    assert.equal(ended.closed, undefined);
    await until(() => ended.closed !== undefined, 'the re-check closed the ended session');
    assert.deepEqual(store.batches[0]?.sort(), ['ended', 'expired', 'live', 'orphan'], 'one batched query for all watched sessions');
    assert.deepEqual(ended.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionEnded });
    assert.deepEqual(expired.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionExpired });
    assert.deepEqual(orphan.closed, { code: CloseCode.Unauthorized, reason: CloseReason.userGone });
    assert.equal(live.closed, undefined);
    assert.equal(watch.sessionCount, 1);
    watch.stop();
  });

  test('it repeats, start to start, and only asks about the sessions still watched', async () => {
    const { store, watch, open } = setUp({ recheckMs: 40 });
    const staying = open('staying').c;
    const leaving = open('leaving').c;
    watch.remove(leaving as unknown as Connection);
    const started = Date.now();
    await until(() => store.batches.length >= 3, 'three re-checks');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 3 * 40 - 10, `three re-checks after ${elapsed} ms: not more often than the 40 ms period`);
    for (const batch of store.batches) assert.deepEqual(batch, ['staying']);
    assert.equal(staying.closed, undefined);
    watch.stop();
    const after = store.batches.length;
    await sleep(100);
    assert.equal(store.batches.length, after, 'stop() ends the re-checks');
  });

  test('with no watched session, the store is not asked', async () => {
    const { store, watch } = setUp({ recheckMs: 20 });
    await sleep(80);
    assert.equal(store.batches.length, 0);
    watch.stop();
  });

  test('1,200 sessions are asked in batches of at most 500 ids, one batch at a time', async () => {
    const statuses = new Map<string, SessionStatus>([['s1100', 'ended']]);
    const { store, watch, open } = setUp({ recheckMs: 3_600_000 }, statuses);
    const sockets = Array.from({ length: 1200 }, (_, i) => open(`s${i}`).c);
    store.delayMs = 5;
    await watch.recheckAll();
    assert.deepEqual(store.batches.map((batch) => batch.length), [500, 500, 200]);
    assert.equal(new Set(store.batches.flat()).size, 1200, 'every session asked once');
    assert.equal(store.maxInFlight, 1, 'one query at a time');
    assert.equal(sockets[1100]?.closed?.reason, CloseReason.sessionEnded);
    assert.equal(sockets.filter((c) => c.closed !== undefined).length, 1);
    watch.stop();
  });

  test('re-checks never overlap: a re-check asked for while one runs is queued once, and resolves after it ran', async () => {
    const statuses = new Map<string, SessionStatus>();
    const { store, watch, open } = setUp({ recheckMs: 3_600_000 }, statuses);
    const c = open('s').c;
    store.delayMs = 60;
    const first = watch.recheckAll();
    await sleep(10);
    statuses.set('s', 'ended'); // ended after the first re-check read it
    const second = watch.recheckAll();
    const third = watch.recheckAll();
    assert.equal(second, third, 'one queued re-check for any number of requests');
    await first;
    assert.equal(c.closed, undefined, 'the first re-check saw it live');
    await second;
    assert.deepEqual(c.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionEnded });
    assert.equal(store.batches.length, 2);
    assert.equal(store.maxInFlight, 1);
    watch.stop();
  });

  test('a slow store never runs two periodic re-checks at once', async () => {
    const { store, watch, open } = setUp({ recheckMs: 20 });
    open('s');
    store.delayMs = 70;
    await until(() => store.batches.length >= 3, 'three re-checks');
    assert.equal(store.maxInFlight, 1);
    watch.stop();
  });

  test('a store that cannot be reached keeps the sockets open, warns, and is asked again at the next period', async () => {
    const statuses = new Map<string, SessionStatus>([['s', 'ended']]);
    const { store, watch, warnings, open } = setUp({ recheckMs: 40 }, statuses);
    const c = open('s').c;
    store.failing = true;
    await until(() => warnings.length >= 1, 'a warning');
    assert.equal(c.closed, undefined);
    assert.match(warnings[0] ?? '', /re-check/);
    store.failing = false;
    await until(() => c.closed !== undefined, 'closed at a later re-check');
    assert.deepEqual(c.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionEnded });
    watch.stop();
  });
});

describe('SessionWatch: tombstones for sockets being admitted', () => {
  test('a socket admitted after its session was revoked (the revocation came between its check and its admission) closes at once', () => {
    const { store, watch, open } = setUp({ recheckMs: 3_600_000 });
    const checkedSince = Date.now();
    watch.revoke(['s'], CloseReason.sessionEnded); // nothing watched yet: only remembered
    assert.equal(watch.tombstoneCount, 1);
    const { c, admitted } = open('s', checkedSince);
    assert.equal(admitted, false);
    assert.deepEqual(c.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionEnded });
    assert.equal(watch.sessionCount, 0, 'not watched');
    assert.equal(store.single.length, 0, 'no store query needed');
    watch.stop();
  });

  test('the tombstone keeps the reason: a session revoked as expired closes with "session expired"', () => {
    const { watch, open } = setUp({ recheckMs: 3_600_000 });
    watch.revoke(['s'], CloseReason.sessionExpired);
    assert.equal(open('s').c.closed?.reason, CloseReason.sessionExpired);
    watch.stop();
  });

  test('revoking a watched session also leaves a tombstone, for its next socket still being admitted', () => {
    const { watch, open } = setUp({ recheckMs: 3_600_000 });
    const first = open('s').c;
    watch.revoke(['s'], CloseReason.sessionEnded);
    assert.equal(first.closed?.code, CloseCode.Unauthorized);
    assert.equal(open('s').c.closed?.code, CloseCode.Unauthorized);
    watch.stop();
  });

  test('other sessions are admitted normally, without a store query', () => {
    const { store, watch, open } = setUp({ recheckMs: 3_600_000 });
    watch.revoke(['gone'], CloseReason.sessionEnded);
    const { c, admitted } = open('other');
    assert.equal(admitted, true);
    assert.equal(c.closed, undefined);
    assert.equal(watch.sessionCount, 1);
    assert.equal(store.single.length, 0);
    watch.stop();
  });

  test('tombstones are forgotten after tombstoneMs', async () => {
    const { watch, open } = setUp({ recheckMs: 3_600_000, tombstoneMs: 40 });
    watch.revoke(['a', 'b'], CloseReason.sessionEnded);
    assert.equal(watch.tombstoneCount, 2);
    await sleep(60);
    const { c } = open('a'); // (a session id is never reused: this only shows the memory is let go)
    assert.equal(c.closed, undefined);
    assert.equal(watch.tombstoneCount, 0);
    watch.stop();
  });

  test('at most maxTombstones are kept, the oldest dropped first', () => {
    const { watch } = setUp({ recheckMs: 3_600_000, maxTombstones: 100 });
    watch.revoke(Array.from({ length: 1000 }, (_, i) => `s${i}`), CloseReason.sessionEnded);
    assert.equal(watch.tombstoneCount, 100);
    watch.stop();
  });

  test('when tombstones were dropped for room during an admission, the session is asked for in the store', async () => {
    const statuses = new Map<string, SessionStatus>([['s0', 'ended']]);
    const { store, watch, open } = setUp({ recheckMs: 3_600_000, maxTombstones: 3 }, statuses);
    const checkedSince = Date.now() - 1;
    watch.revoke(['s0', 's1', 's2', 's3', 's4'], CloseReason.sessionEnded); // s0 and s1 dropped
    const { c, admitted } = open('s0', checkedSince);
    assert.equal(admitted, true, 'no tombstone left to say so');
    assert.deepEqual(store.single, ['s0'], 'so the store is asked');
    await sleep(5);
    assert.deepEqual(c.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionEnded });
    // An admission whose check began after the drop can trust the tombstones.
    const later = open('fresh', Date.now() + 1);
    assert.equal(later.admitted, true);
    assert.deepEqual(store.single, ['s0']);
    watch.stop();
  });

  test('an admission that took longer than tombstoneMs asks the store, and stays open when the session is live', async () => {
    const statuses = new Map<string, SessionStatus>([['slow-ended', 'ended']]);
    const { store, watch, open } = setUp({ recheckMs: 3_600_000, tombstoneMs: 1000 }, statuses);
    const ended = open('slow-ended', Date.now() - 1500).c;
    const live = open('slow-live', Date.now() - 1500).c;
    assert.deepEqual(store.single.sort(), ['slow-ended', 'slow-live']);
    await sleep(5);
    assert.equal(ended.closed?.reason, CloseReason.sessionEnded);
    assert.equal(live.closed, undefined);
    watch.stop();
  });
});
