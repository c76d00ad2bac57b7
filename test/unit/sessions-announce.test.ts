/**
 * Sessions.end and friends with a fake store and bus: this process is told
 * first, a failed publish does not fail the logout (the row is gone) and is
 * logged; checkMany maps the batched rows to statuses.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Sessions } from '../../src/accounts/sessions.js';
import { type Bus, Channels } from '../../src/pubsub/bus.js';
import type { SessionLiveness, SessionsRepo } from '../../src/store/sessions-repo.js';

const NOW = 1_000_000;

function setUp(publish: (channel: string, message: string) => Promise<void>, rows: SessionLiveness[] = []) {
  const events: string[] = [];
  const warnings: { object: object; message: string }[] = [];
  const repo = {
    delete: async (id: string) => id !== 'missing',
    deleteForUser: async () => ['a', 'b'],
    deleteExpired: async () => ['old'],
    livenessByIds: async (ids: readonly string[]) => rows.filter((row) => ids.includes(row.id)),
  } as unknown as SessionsRepo;
  const bus = {
    publish: async (channel: string, message: string) => {
      events.push(`publish ${channel} ${message}`);
      return publish(channel, message);
    },
  } as unknown as Bus;
  const sessions = new Sessions(repo, bus, { idleSeconds: 60, absoluteSeconds: 600 }, () => NOW, {
    warn: (object, message) => warnings.push({ object, message }),
    error: () => {},
  });
  sessions.onEnded((ids, reason) => events.push(`local ${ids.join(',')} ${reason}`));
  return { sessions, events, warnings };
}

describe('Sessions: announcing ended sessions', () => {
  test('end tells this process first, then publishes the revocation', async () => {
    const { sessions, events, warnings } = setUp(async () => {});
    await sessions.end('s1');
    assert.deepEqual(events, [
      'local s1 session ended',
      `publish ${Channels.revocations} ${JSON.stringify({ sessionIds: ['s1'], reason: 'session ended', endedAt: NOW })}`,
    ]);
    assert.equal(warnings.length, 0);
  });

  test('when the publish fails (Redis down), end still resolves, this process was told, and a warning is logged without the error’s stack', async () => {
    const { sessions, events, warnings } = setUp(async () => {
      throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
    });
    await sessions.end('s1'); // does not throw
    assert.equal(events[0], 'local s1 session ended');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]?.message ?? '', /next session re-check/);
    assert.doesNotMatch(JSON.stringify(warnings[0]?.object), /stack|at /);
  });

  test('endAllForUser and purgeExpired survive a failed publish the same way', async () => {
    const { sessions, events, warnings } = setUp(async () => {
      throw new Error('Connection is closed.');
    });
    await sessions.endAllForUser('u');
    assert.equal(await sessions.purgeExpired(), 1);
    assert.deepEqual(
      events.filter((e) => e.startsWith('local')),
      ['local a,b session ended', 'local old session expired'],
    );
    assert.equal(warnings.length, 2);
  });

  test('nothing is announced for a session that was not there', async () => {
    const { sessions, events } = setUp(async () => {});
    await sessions.end('missing');
    assert.deepEqual(events, []);
  });

  test('a listener that throws does not stop the publish', async () => {
    const { sessions, events } = setUp(async () => {});
    sessions.onEnded(() => {
      throw new Error('boom');
    });
    await sessions.end('s1');
    assert.ok(events.some((e) => e.startsWith('publish')));
  });
});

describe('Sessions.checkMany', () => {
  test('maps each id to live, expired, user-gone or ended (no row)', async () => {
    const rows: SessionLiveness[] = [
      { id: 'live', idle_expires_at: NOW + 1, absolute_expires_at: NOW + 10, userExists: true },
      { id: 'idle', idle_expires_at: NOW, absolute_expires_at: NOW + 10, userExists: true },
      { id: 'absolute', idle_expires_at: NOW + 1, absolute_expires_at: NOW - 1, userExists: true },
      { id: 'orphan', idle_expires_at: NOW + 1, absolute_expires_at: NOW + 10, userExists: false },
    ];
    const { sessions } = setUp(async () => {}, rows);
    const statuses = await sessions.checkMany(['live', 'idle', 'absolute', 'orphan', 'deleted']);
    assert.deepEqual(Object.fromEntries(statuses), {
      live: 'live',
      idle: 'expired',
      absolute: 'expired',
      orphan: 'user-gone',
      deleted: 'ended',
    });
  });
});
