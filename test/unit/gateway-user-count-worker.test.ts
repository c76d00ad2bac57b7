/**
 * The seed's worker: the lease holder publishes one `{ tick, seed }` message per interval for the
 * whole cluster, and each node derives every local user's value 1..10 from the seed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LocalLease, type Lease } from '../../src/cluster/lease.js';
import { MemoryBus } from '../../src/pubsub/memory-bus.js';
import { USER_COUNT_TICKS, UserCountDelivery } from '../../src/workers/user-count-delivery.js';
import { isSeed, newSeed, userCountValue } from '../../src/workers/user-count-value.js';
import { UserCountWorker } from '../../src/workers/user-count-worker.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recorder() {
  const published: string[] = [];
  return { published, publishTick: async (message: string) => void published.push(message) };
}

describe('userCountValue', () => {
  const seed = '00112233445566778899aabbccddeeff';

  test('is an integer in 1..10, the same for the same seed and topic (hex or bytes)', () => {
    for (let i = 0; i < 1000; i++) {
      const topic = `user_count:user-${i}`;
      const value = userCountValue(seed, topic);
      assert.ok(Number.isInteger(value) && value >= 1 && value <= 10, `${value}`);
      assert.equal(userCountValue(seed, topic), value);
      assert.equal(userCountValue(Buffer.from(seed, 'hex'), topic), value);
    }
  });

  test('is roughly uniform over many topics (chi-square, 9 degrees of freedom)', () => {
    const counts = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[userCountValue(seed, `user_count:${i}`) - 1]! += 1;
    const expected = n / 10;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 27.9 is the 0.999 quantile of chi-square with 9 degrees of freedom; a biased or constant function is far above it.
    assert.ok(chi2 < 27.9, `chi-square ${chi2.toFixed(1)} for counts ${counts.join(', ')}`);
  });

  test('changes with the seed: one topic takes every value over fresh seeds, and neighbouring topics differ', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) seen.add(userCountValue(newSeed(), 'user_count:one'));
    assert.equal(seen.size, 10);
    let same = 0;
    for (let i = 0; i < 1000; i++) if (userCountValue(seed, `user_count:${i}`) === userCountValue(seed, `user_count:${i + 1}`)) same += 1;
    assert.ok(same > 50 && same < 160, `${same} of 1000 neighbours equal (about 100 expected)`);
  });

  test('seeds are 128 random bits in hex, and only those pass isSeed', () => {
    const a = newSeed();
    assert.ok(isSeed(a));
    assert.notEqual(newSeed(), a);
    for (const bad of [undefined, 7, '', 'xyz', a.slice(1), a.toUpperCase(), `${a}0`]) assert.equal(isSeed(bad), false, String(bad));
  });
});

describe('UserCountWorker', () => {
  test('a tick publishes ONE message, { tick, seed }, with a fresh seed each time', async () => {
    const { published, publishTick } = recorder();
    const worker = new UserCountWorker({ publishTick, lease: new LocalLease(), intervalMs: 1000, onError: (error) => assert.fail(String(error)) });
    for (let i = 1; i <= 3; i++) {
      const tick = await worker.tick();
      assert.equal(published.length, i);
      assert.deepEqual(JSON.parse(published[i - 1]!), tick);
      assert.equal(tick.tick, i);
      assert.ok(isSeed(tick.seed));
    }
    assert.equal(new Set(published.map((m) => JSON.parse(m).seed)).size, 3);
  });

  test('publishes one message every interval while it holds the lease, and stops when stopped', async () => {
    const { published, publishTick } = recorder();
    const worker = new UserCountWorker({ publishTick, lease: new LocalLease(), intervalMs: 40, onError: () => {} });
    worker.start();
    await sleep(230);
    await worker.stop();
    const count = published.length;
    assert.ok(count >= 3 && count <= 7, `${count} ticks in 230 ms at 40 ms`);
    assert.equal(worker.ticks, count);
    await sleep(100);
    assert.equal(published.length, count);
  });

  test('publishes nothing without the lease, and nothing at all with USER_COUNT_INTERVAL_MS=0', async () => {
    const { published, publishTick } = recorder();
    const notHeld: Lease = { hold: async () => false, release: async () => {} };
    const follower = new UserCountWorker({ publishTick, lease: notHeld, intervalMs: 20, onError: () => {} });
    const off = new UserCountWorker({ publishTick, lease: new LocalLease(), intervalMs: 0, onError: () => {} });
    follower.start();
    off.start();
    await sleep(120);
    await follower.stop();
    await off.stop();
    assert.deepEqual(published, []);
  });
});

describe('UserCountDelivery', () => {
  function node(bus: MemoryBus, topics: string[], chunk?: number) {
    const delivered: { topic: string; message: string }[] = [];
    const errors: unknown[] = [];
    const delivery = new UserCountDelivery({
      bus,
      localTopics: () => topics,
      deliver: (topic, message) => delivered.push({ topic, message }),
      onError: (error) => errors.push(error),
      ...(chunk === undefined ? {} : { chunk }),
    });
    return { delivery, delivered, errors };
  }

  test('a tick gives every local user_count topic its value for the seed, and nothing to other topics', async () => {
    const bus = new MemoryBus();
    const { delivery, delivered, errors } = node(bus, ['user_count:a', 'system_announcements', 'user_count:b', 'other:user_count:c']);
    const seed = newSeed();
    await bus.publish(USER_COUNT_TICKS, JSON.stringify({ tick: 1, seed }));
    assert.equal(await delivery.settled, 2);
    assert.deepEqual(delivered, [
      { topic: 'user_count:a', message: String(userCountValue(seed, 'user_count:a')) },
      { topic: 'user_count:b', message: String(userCountValue(seed, 'user_count:b')) },
    ]);
    for (const { message } of delivered) assert.ok(/^([1-9]|10)$/.test(message), message);
    assert.deepEqual(errors, []);
    delivery.close();
  });

  test('two nodes give a user they share the same value in a tick, from one message', async () => {
    const bus = new MemoryBus();
    const a = node(bus, ['user_count:shared', 'user_count:only-a']);
    const b = node(bus, ['user_count:only-b', 'user_count:shared']);
    const worker = new UserCountWorker({
      publishTick: (message) => bus.publish(USER_COUNT_TICKS, message),
      lease: new LocalLease(),
      intervalMs: 1000,
      onError: (error) => assert.fail(String(error)),
    });
    const values = new Set<string>();
    for (let i = 0; i < 30; i++) {
      a.delivered.length = 0;
      b.delivered.length = 0;
      await worker.tick();
      await Promise.all([a.delivery.settled, b.delivery.settled]);
      const onA = a.delivered.find((d) => d.topic === 'user_count:shared')!.message;
      const onB = b.delivered.find((d) => d.topic === 'user_count:shared')!.message;
      assert.equal(onA, onB);
      values.add(onA);
    }
    assert.ok(values.size >= 5, `the shared user's value changes between ticks (${[...values].join(', ')})`);
    a.delivery.close();
    b.delivery.close();
  });

  test('delivers many topics in slices, yielding between them, and a newer tick stops an older one', async () => {
    const bus = new MemoryBus();
    const topics = Array.from({ length: 5000 }, (_, i) => `user_count:${i}`);
    const { delivery, delivered } = node(bus, topics, 1000);
    delivery.receive(JSON.stringify({ tick: 1, seed: newSeed() }));
    assert.equal(delivered.length, 1000, 'the first slice at once, the rest after yielding');
    const second = newSeed();
    delivery.receive(JSON.stringify({ tick: 2, seed: second }));
    assert.equal(delivered.length, 2000);
    await delivery.settled;
    // The first tick stopped after its first slice; the second delivered everything.
    assert.equal(delivered.length, 1000 + 5000);
    assert.deepEqual(
      delivered.slice(1000).map((d) => d.message),
      topics.map((t) => String(userCountValue(second, t))),
    );
    delivery.close();
  });

  test('ignores and reports a malformed tick; delivers nothing after close', async () => {
    const bus = new MemoryBus();
    const { delivery, delivered, errors } = node(bus, ['user_count:a']);
    for (const bad of ['not json', '{}', JSON.stringify({ tick: 1, seed: 'short' }), 'null']) delivery.receive(bad);
    assert.equal(delivered.length, 0);
    assert.equal(errors.length, 4);
    delivery.close();
    await bus.publish(USER_COUNT_TICKS, JSON.stringify({ tick: 2, seed: newSeed() }));
    assert.equal(delivered.length, 0);
  });
});
