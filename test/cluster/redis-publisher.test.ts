/**
 * The server's Redis publisher against the machine's real Redis: with
 * auto-pipelining (how the server opens it) the publishes of one event-loop
 * turn leave in a few writes instead of one each, and still arrive all and in
 * order; without it, one write per publish (the control: the count is real).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import type { Redis } from 'ioredis';
import { connectRedis, redisReady } from '../../src/pubsub/redis-connection.js';
import { RedisBus } from '../../src/pubsub/redis-bus.js';
import { REDIS_URL, redisSkip } from '../helpers/backends.js';

const skip = await redisSkip();
const log = { info() {}, warn() {} };
const MESSAGES = 1000;

/** Publishes MESSAGES on one channel in one turn; resolves the socket writes it took and what arrived. */
async function burst(autoPipelining: boolean): Promise<{ writes: number; received: string[] }> {
  const publisher = connectRedis(REDIS_URL, 'publisher', log, { autoPipelining });
  const subscriber = connectRedis(REDIS_URL, 'subscriber', log);
  const bus = new RedisBus(publisher, subscriber, `test-publisher-${randomBytes(4).toString('hex')}:`, () => {});
  try {
    await Promise.all([redisReady(publisher), redisReady(subscriber)]);
    const received: string[] = [];
    let allArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    bus.subscribe('c', (message) => {
      received.push(message);
      if (received.length === MESSAGES) allArrived();
    });
    // Both subscriptions are in place once a message published after the second comes back.
    await new Promise<void>((resolve) => {
      const probe = setInterval(() => void bus.publish('ready', 'x'), 20);
      const stop = bus.subscribe('ready', () => {
        clearInterval(probe);
        stop();
        resolve();
      });
    });
    const stream = (publisher as Redis & { stream: { write: (...args: unknown[]) => boolean } }).stream;
    const write = stream.write.bind(stream);
    let writes = 0;
    stream.write = (...args: unknown[]) => {
      writes++;
      return write(...args);
    };
    const published = Array.from({ length: MESSAGES }, (_, k) => bus.publish('c', `m${k}`));
    await Promise.all(published);
    await arrived;
    stream.write = write;
    return { writes, received };
  } finally {
    await bus.close();
  }
}

describe('the Redis publisher against a real Redis', { skip }, () => {
  const results: Record<string, { writes: number; received: string[] }> = {};
  before(async () => {
    results['pipelined'] = await burst(true);
    results['plain'] = await burst(false);
  });

  it('auto-pipelined: a turn of publishes takes a few writes, and every message arrives in order', () => {
    const { writes, received } = results['pipelined'] as { writes: number; received: string[] };
    assert.deepEqual(received, Array.from({ length: MESSAGES }, (_, k) => `m${k}`));
    assert.ok(writes <= 10, `${writes} writes for ${MESSAGES} publishes`);
  });

  it('without it (the control): one write per publish', () => {
    const { writes, received } = results['plain'] as { writes: number; received: string[] };
    assert.equal(received.length, MESSAGES);
    assert.ok(writes >= MESSAGES, `${writes} writes for ${MESSAGES} publishes`);
  });
});
