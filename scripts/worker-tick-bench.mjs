#!/usr/bin/env node
/**
 * The user-count worker's cost per tick and per heartbeat, at 100,000 and
 * 1,000,000 simulated live users (presence entries in Redis, not sockets),
 * for the legacy design (SUNION of every node's topic set, one PUBLISH per
 * user per tick, a heartbeat that re-sends every topic) and for the current
 * one (one tick message per cluster; each node derives its local users'
 * values; a heartbeat that only refreshes liveness).
 *
 *   npx tsc -p tsconfig.json && node scripts/worker-tick-bench.mjs [--users 100000,1000000] [--cap-seconds 60] [--local 20000]
 *
 * Only a Redis on 127.0.0.1 (REDIS_URL, default redis://127.0.0.1:6379); every
 * key is under a fresh prefix and deleted afterwards. Commands and bytes are
 * counted on the script's own connections (socket bytesWritten/bytesRead), so
 * other clients of the same Redis do not skew them. The simulated nodes hold
 * 20,000 topics each (a node's socket limit), so 1,000,000 users are 50 nodes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { RedisBus } from '../dist/src/pubsub/redis-bus.js';
import { Publisher } from '../dist/src/pubsub/publisher.js';
import { RedisPresence } from '../dist/src/cluster/presence.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '100000,1000000' },
    'cap-seconds': { type: 'string', default: '60' },
    local: { type: 'string', default: '20000' },
    'per-node': { type: 'string', default: '20000' },
    design: { type: 'string', default: 'legacy,current' },
  },
});
const USERS = args.users.split(',').map(Number);
const CAP_MS = Number(args['cap-seconds']) * 1000;
const LOCAL = Number(args.local);
const PER_NODE = Number(args['per-node']);
const DESIGNS = args.design.split(',');

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
if (new URL(url).hostname !== '127.0.0.1') {
  console.error(`refusing ${new URL(url).hostname}: this bench writes up to a million keys' worth of members, so only a Redis on 127.0.0.1`);
  process.exit(2);
}
const prefix = `bench-worker-${randomBytes(4).toString('hex')}:`;
const admin = new Redis(url, { maxRetriesPerRequest: 1 });

/** A connection whose commands and bytes the bench counts. */
function counted(name) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectionName: `bench-${name}` });
  redis.counted = { commands: 0 };
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    redis.counted.commands += 1;
    return send(command, stream);
  };
  return redis;
}
const snapshot = (connections) =>
  connections.map((redis) => ({ commands: redis.counted.commands, out: redis.stream?.bytesWritten ?? 0, in: redis.stream?.bytesRead ?? 0 }));
function delta(connections, before) {
  const after = snapshot(connections);
  return after.reduce(
    (sum, now, i) => ({
      commands: sum.commands + now.commands - before[i].commands,
      out: sum.out + now.out - before[i].out,
      in: sum.in + now.in - before[i].in,
    }),
    { commands: 0, out: 0, in: 0 },
  );
}

async function cleanup() {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
    cursor = next;
    if (keys.length > 0) await admin.unlink(...keys);
  } while (cursor !== '0');
}

/** Fills Redis with `users` topics over nodes of PER_NODE topics each, as the legacy presence kept them. */
async function populate(users) {
  await cleanup();
  const nodes = [];
  const topicsOfFirstNode = [];
  for (let n = 0; n * PER_NODE < users; n++) {
    const node = `node-${n}`;
    nodes.push(node);
    const count = Math.min(PER_NODE, users - n * PER_NODE);
    const pipeline = admin.pipeline();
    for (let i = 0; i < count; i += 5000) {
      const batch = [];
      for (let j = i; j < Math.min(count, i + 5000); j++) batch.push(`user_count:${randomUUID()}`);
      if (n === 0) topicsOfFirstNode.push(...batch);
      pipeline.sadd(`${prefix}topics:${node}`, ...batch);
    }
    pipeline.pexpire(`${prefix}topics:${node}`, 600_000);
    pipeline.zadd(`${prefix}nodes`, Date.now() + 600_000, node);
    await pipeline.exec();
  }
  return { nodes, topicsOfFirstNode };
}

const fmtBytes = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} kB` : `${b} B`);
const rows = [];
function report(row) {
  rows.push(row);
  console.log(JSON.stringify(row));
}

/** The legacy tick, as src/workers/user-count-worker.ts did it: SUNION, then one PUBLISH per user, all at once. */
async function legacyTick(users) {
  const commands = counted('commands');
  const publisherConnection = counted('publisher');
  const subscriberConnection = counted('subscriber');
  const connections = [commands, publisherConnection, subscriberConnection];
  await Promise.all(connections.map((c) => c.ping()));
  const bus = new RedisBus(publisherConnection, subscriberConnection, prefix, () => {});
  const publisher = new Publisher(bus);
  // A presence that does not beat on its own during the measurement (a long heartbeat), as a reader only.
  const presence = new RedisPresence(commands, prefix, 'bench-reader', () => [], 3_600_000, () => {});
  await new Promise((resolve) => setTimeout(resolve, 200));
  const before = snapshot(connections);
  const started = performance.now();
  let published = 0;
  let unionMs = 0;
  const run = (async () => {
    const topics = await presence.activeTopics();
    unionMs = performance.now() - started;
    const publishes = [];
    for (const topic of topics) {
      if (topic.startsWith('user_count:'))
        publishes.push(publisher.publish(topic, 1 + Math.floor(Math.random() * 10)).then(() => (published += 1)));
    }
    await Promise.all(publishes);
  })();
  const capped = await Promise.race([run.then(() => false), new Promise((resolve) => setTimeout(() => resolve(true), CAP_MS).unref())]);
  const ms = performance.now() - started;
  const cost = delta(connections, before);
  report({
    design: 'legacy',
    what: 'tick',
    users,
    ms: Math.round(ms),
    sunionMs: Math.round(unionMs),
    finished: !capped,
    published,
    ...(capped ? { extrapolatedMs: Math.round(unionMs + ((ms - unionMs) * users) / Math.max(1, published)) } : {}),
    redisCommands: cost.commands,
    bytesToRedis: cost.out,
    bytesFromRedis: cost.in,
    heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
  });
  // A capped run still has commands in flight: drop the connections rather than wait for them.
  for (const c of connections) c.disconnect();
  await presence.close().catch(() => {});
}

/** The legacy heartbeat of one node with `topics` local topics: DEL + SADD of every topic, in one MULTI. */
async function legacyBeat(topics) {
  const commands = counted('beat');
  await commands.ping();
  const before = snapshot([commands]);
  const started = performance.now();
  const now = Date.now();
  const key = `${prefix}topics:beat-node`;
  await commands
    .multi()
    .zadd(`${prefix}nodes`, now + 15_000, 'beat-node')
    .zremrangebyscore(`${prefix}nodes`, '-inf', now)
    .del(key)
    .sadd(key, ...topics)
    .pexpire(key, 15_000)
    .exec();
  const ms = performance.now() - started;
  const cost = delta([commands], before);
  report({ design: 'legacy', what: 'heartbeat', localTopics: topics.length, ms: Math.round(ms * 10) / 10, redisCommands: cost.commands, bytesToRedis: cost.out, bytesFromRedis: cost.in });
  commands.disconnect();
}

const onSignal = () => {
  cleanup().finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

try {
  for (const users of USERS) {
    const { topicsOfFirstNode } = await populate(users);
    console.log(`# ${users} users on ${Math.ceil(users / PER_NODE)} simulated nodes (prefix ${prefix})`);
    if (DESIGNS.includes('legacy')) {
      await legacyBeat(topicsOfFirstNode);
      await legacyTick(users);
    }
    if (DESIGNS.includes('current')) {
      const { currentBeat, currentTick, currentLocalDelivery } = await import('./worker-tick-bench-current.mjs');
      report(await currentBeat({ url, prefix, counted, snapshot, delta, topics: topicsOfFirstNode }));
      report(await currentTick({ url, prefix, counted, snapshot, delta, users }));
    }
  }
  if (DESIGNS.includes('current')) {
    const { currentLocalDelivery } = await import('./worker-tick-bench-current.mjs');
    report(await currentLocalDelivery({ url, prefix, counted, snapshot, delta, topics: LOCAL }));
  }
} finally {
  await cleanup();
  admin.disconnect();
}
console.log('\n| design | what | size | time | Redis commands | bytes to / from Redis |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  const size = r.users !== undefined ? `${r.users} users` : `${r.localTopics} local topics`;
  const time = r.finished === false ? `> ${r.ms} ms (capped; ≈ ${r.extrapolatedMs} ms extrapolated)` : `${r.ms} ms`;
  console.log(`| ${r.design} | ${r.what} | ${size} | ${time} | ${r.redisCommands} | ${fmtBytes(r.bytesToRedis)} / ${fmtBytes(r.bytesFromRedis)} |`);
}
process.exit(0);
