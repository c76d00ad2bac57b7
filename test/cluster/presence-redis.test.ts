/**
 * RedisPresence against the machine's real Redis: a node's topics are kept
 * incrementally, its heartbeat sends no topic (a constant few commands), and
 * the whole set is sent again only when it may have been lost — when the
 * heartbeat finds it gone, or after the Redis connection comes back.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisPresence } from '../../src/cluster/presence.js';
import { REDIS_URL, redisSkip } from '../helpers/backends.js';

const skip = await redisSkip();

describe('RedisPresence against a real Redis', { skip }, () => {
  const prefix = `test-presence-${randomBytes(4).toString('hex')}:`;
  let admin: Redis;
  let redis: Redis;
  let presence: RedisPresence;
  const local = new Set<string>();
  const sent: string[][] = [];
  const errors: unknown[] = [];

  before(async () => {
    admin = new Redis(REDIS_URL);
    redis = new Redis(REDIS_URL);
    // Every command this node's connection sends, by name and arguments.
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((command: { name: string; args: unknown[] }, stream?: unknown) => {
      sent.push([command.name, ...command.args.map(String)]);
      return send(command as never, stream as never);
    }) as typeof redis.sendCommand;
    await redis.ping();
    presence = new RedisPresence(redis, prefix, 'node-a', () => local, 3_600_000, (error) => errors.push(error));
  });

  after(async () => {
    await presence.close();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    redis.disconnect();
    admin.disconnect();
  });

  const members = async () => (await admin.smembers(`${prefix}topics:node-a`)).sort();
  const eventually = async (what: string, check: () => Promise<boolean>) => {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await sleep(20);
    }
    assert.fail(`never: ${what}`);
  };

  it('adds and removes topics one at a time, and lists the union of live nodes', async () => {
    for (const topic of ['user_count:a', 'user_count:b', 'user_count:c']) {
      local.add(topic);
      presence.add(topic);
    }
    local.delete('user_count:b');
    presence.remove('user_count:b');
    await eventually('a and c in the set', async () => (await members()).join() === 'user_count:a,user_count:c');
    assert.deepEqual([...(await presence.activeTopics())].sort(), ['user_count:a', 'user_count:c']);
  });

  it('a heartbeat sends no topic: three commands in one MULTI, however many topics', async () => {
    for (let i = 0; i < 2000; i++) {
      local.add(`user_count:many-${i}`);
      presence.add(`user_count:many-${i}`);
    }
    await eventually('2002 topics', async () => (await members()).length === 2002);
    sent.length = 0;
    await presence.beat();
    assert.deepEqual(sent.map(([name]) => name), ['multi', 'zadd', 'zremrangebyscore', 'pexpire', 'exec']);
    assert.ok(sent.flat().every((arg) => !arg.startsWith('user_count:')), 'no topic in a heartbeat');
    assert.ok((await admin.pttl(`${prefix}topics:node-a`)) > 0, 'the set expires unless renewed');
    assert.ok((await admin.zscore(`${prefix}nodes`, 'node-a')) !== null, 'the node is listed');
  });

  it('a heartbeat that finds the set gone sends it whole again', async () => {
    await admin.del(`${prefix}topics:node-a`);
    await presence.beat();
    assert.equal((await members()).length, local.size);
    assert.deepEqual(errors, []);
  });

  it('after the connection comes back (e.g. a Redis restart), the whole set is sent again', async () => {
    await admin.del(`${prefix}topics:node-a`);
    // Redis lost the set while this node was cut off; the connection then reconnects on its own.
    redis.disconnect(true);
    await eventually('the set restored after the reconnect', async () => (await members()).length === local.size);
    assert.deepEqual(await members(), [...local].sort());
  });

  it('close forgets the node and its set', async () => {
    await presence.close();
    assert.equal(await admin.exists(`${prefix}topics:node-a`), 0);
    assert.equal(await admin.zscore(`${prefix}nodes`, 'node-a'), null);
  });
});
