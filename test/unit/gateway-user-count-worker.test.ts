/** The seed's worker: a random 1..10 to each active user's topic, every interval, by the lease holder only. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LocalLease, type Lease } from '../../src/cluster/lease.js';
import type { Publisher } from '../../src/pubsub/publisher.js';
import { UserCountWorker } from '../../src/workers/user-count-worker.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recorder() {
  const published: { topic: string; value: unknown }[] = [];
  const publisher = { publish: async (topic: string, value: unknown) => void published.push({ topic, value }) } as unknown as Publisher;
  return { published, publisher };
}

describe('UserCountWorker', () => {
  test('a tick publishes one integer in 1..10 to every user_count topic, and nothing to other topics', async () => {
    const { published, publisher } = recorder();
    const worker = new UserCountWorker({
      publisher,
      activeTopics: async () => ['user_count:a', 'system_announcements', 'user_count:b', 'other:user_count:c'],
      lease: new LocalLease(),
      intervalMs: 1000,
      onError: (error) => assert.fail(String(error)),
    });
    const seen = new Set<unknown>();
    for (let i = 0; i < 200; i++) {
      published.length = 0;
      assert.equal(await worker.tick(), 2);
      assert.deepEqual(published.map((p) => p.topic), ['user_count:a', 'user_count:b']);
      for (const { value } of published) {
        assert.ok(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 10, String(value));
        seen.add(value);
      }
    }
    assert.equal(seen.size, 10, 'every value of 1..10 turns up');
  });

  test('publishes every interval while it holds the lease, and stops when stopped', async () => {
    const { published, publisher } = recorder();
    const worker = new UserCountWorker({
      publisher,
      activeTopics: async () => ['user_count:a'],
      lease: new LocalLease(),
      intervalMs: 40,
      onError: () => {},
    });
    worker.start();
    await sleep(230);
    await worker.stop();
    const count = published.length;
    assert.ok(count >= 3 && count <= 7, `${count} ticks in 230 ms at 40 ms`);
    await sleep(100);
    assert.equal(published.length, count);
  });

  test('publishes nothing without the lease, and nothing at all with USER_COUNT_INTERVAL_MS=0', async () => {
    const { published, publisher } = recorder();
    const notHeld: Lease = { hold: async () => false, release: async () => {} };
    const follower = new UserCountWorker({ publisher, activeTopics: async () => ['user_count:a'], lease: notHeld, intervalMs: 20, onError: () => {} });
    const off = new UserCountWorker({ publisher, activeTopics: async () => ['user_count:a'], lease: new LocalLease(), intervalMs: 0, onError: () => {} });
    follower.start();
    off.start();
    await sleep(120);
    await follower.stop();
    await off.stop();
    assert.deepEqual(published, []);
  });
});
