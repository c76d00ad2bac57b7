/**
 * The Redis resumption log on the machine's real Redis: the shared contract (real
 * time), and what only Redis gives: ids assigned by Redis, the same for every node,
 * and a topic's key that expires once its window is over.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { after, before, describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { REDIS_URL, redisSkip } from '../helpers/backends.js';
import { resumptionLogContract } from '../helpers/resumption-log-contract.js';
import { compareEventIds, parseEventId } from '../../src/sse/resumption-log.js';
import { RedisResumptionLog } from '../../src/sse/redis-resumption-log.js';

const skip = await redisSkip();

describe('RedisResumptionLog against a real Redis', { skip }, () => {
  const prefix = `test-sse-log-${randomBytes(4).toString('hex')}:`;
  let admin: Redis;
  let redis: Redis;
  let other: Redis;

  before(async () => {
    admin = new Redis(REDIS_URL);
    redis = new Redis(REDIS_URL, { enableOfflineQueue: false });
    other = new Redis(REDIS_URL, { enableOfflineQueue: false });
    await Promise.all([admin.ping(), new Promise((resolve) => redis.once('ready', resolve)), new Promise((resolve) => other.once('ready', resolve))]);
  });

  after(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    redis.disconnect();
    other.disconnect();
    admin.disconnect();
  });

  describe('the resumption-log contract', () => {
    let run = 0;
    // Each test gets its own key space, so that one test's topics never meet another's.
    resumptionLogContract(async (window) => ({
      log: new RedisResumptionLog(redis, `${prefix}${++run}:`, window),
      advance: (ms) => sleep(ms),
    }));
  });

  it('two nodes on one Redis: one sequence of ids, and each reads what the other appended', async () => {
    const nodeA = new RedisResumptionLog(redis, `${prefix}nodes:`, { maxEvents: 100, maxAgeMs: 60_000 });
    const nodeB = new RedisResumptionLog(other, `${prefix}nodes:`, { maxEvents: 100, maxAgeMs: 60_000 });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await (i % 2 === 0 ? nodeA : nodeB).append('shared', `e${i}`));
    for (let i = 1; i < ids.length; i++) {
      assert.ok(compareEventIds(parseEventId(ids[i] as string)!, parseEventId(ids[i - 1] as string)!) > 0);
    }
    const fromB = await nodeB.since('shared', ids[9] as string);
    assert.deepEqual(fromB, { events: ids.slice(10).map((id, i) => ({ id, data: `e${10 + i}` })), gap: false });
    assert.deepEqual(await nodeA.since('shared', ids[9] as string), fromB);
  });

  it('one round trip per append (EVALSHA), the key capped and expiring with the window', async () => {
    const log = new RedisResumptionLog(redis, `${prefix}shape:`, { maxEvents: 10, maxAgeMs: 30_000 });
    for (let i = 0; i < 1_000; i++) await log.append('capped', String(i));
    const key = log.keyOf('capped');
    const length = await admin.xlen(key);
    assert.ok(length >= 10 && length < 1_000, `approximately capped: ${length}`);
    const ttl = await admin.pttl(key);
    assert.ok(ttl > 0 && ttl <= 30_000, `expires with the window: ${ttl}`);
    const sent: string[] = [];
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((command: { name: string }, stream?: unknown) => {
      sent.push(command.name);
      return send(command as never, stream as never);
    }) as typeof redis.sendCommand;
    try {
      await log.append('capped', 'one more');
      await log.since('capped', '1-0');
    } finally {
      redis.sendCommand = send;
    }
    assert.deepEqual(sent, ['evalsha', 'xrevrange']);
  });

  it('fails at once while Redis is unreachable (no offline queue), rather than resolving late', async () => {
    const down = new Redis({ port: 1, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => {});
    const log = new RedisResumptionLog(down, `${prefix}down:`);
    await assert.rejects(log.append('t', 'x'));
    await assert.rejects(log.since('t', '1-0'));
    down.disconnect();
  });
});
