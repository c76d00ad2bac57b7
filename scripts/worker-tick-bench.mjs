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
import { LocalLease } from '../dist/src/cluster/lease.js';
import { MemoryBus } from '../dist/src/pubsub/memory-bus.js';
import { UserCountWorker } from '../dist/src/workers/user-count-worker.js';
import { USER_COUNT_TICKS, UserCountDelivery } from '../dist/src/workers/user-count-delivery.js';
import { userCountValue, newSeed } from '../dist/src/workers/user-count-value.js';
import { Fanout } from '../dist/src/gateway/fanout/fanout.js';
import { TopicRegistry } from '../dist/src/gateway/fanout/topic-registry.js';
import { createSchema } from '../dist/src/graphql/schema.js';
import { parse } from 'graphql';
import { monitorEventLoopDelay } from 'node:perf_hooks';

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

const fmtBytes = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(1)} kB` : `${Math.round(b)} B`);
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


/**
 * The current tick: the lease holder publishes one `{ tick, seed }` message; `nodes` subscriber
 * connections stand for the cluster's nodes, to count what Redis sends them. Averaged over 20 ticks.
 */
async function currentTick(users) {
  const nodes = Math.ceil(users / PER_NODE);
  const publisherConnection = counted('publisher');
  const subscribers = Array.from({ length: nodes }, (_, i) => counted(`node-${i}`));
  await Promise.all([publisherConnection, ...subscribers].map((c) => c.ping()));
  let received = 0;
  const buses = subscribers.map((subscriber) => {
    const bus = new RedisBus(publisherConnection, subscriber, prefix, () => {});
    bus.subscribe(USER_COUNT_TICKS, () => (received += 1));
    return bus;
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const worker = new UserCountWorker({
    publishTick: (message) => buses[0].publish(USER_COUNT_TICKS, message),
    lease: new LocalLease(),
    intervalMs: 10_000,
    onError: (error) => console.error(error),
  });
  const TICKS = 20;
  const before = snapshot([publisherConnection]);
  const beforeNodes = snapshot(subscribers);
  const started = performance.now();
  for (let i = 0; i < TICKS; i++) await worker.tick();
  const ms = (performance.now() - started) / TICKS;
  while (received < TICKS * nodes) await new Promise((resolve) => setTimeout(resolve, 10));
  const cost = delta([publisherConnection], before);
  const toNodes = delta(subscribers, beforeNodes);
  for (const c of [publisherConnection, ...subscribers]) c.disconnect();
  return {
    design: 'current',
    what: 'tick',
    users,
    nodes,
    ms: Math.round(ms * 100) / 100,
    redisCommands: cost.commands / TICKS,
    bytesToRedis: cost.out / TICKS,
    bytesFromRedis: (cost.in + toNodes.in) / TICKS,
    bytesToAllNodes: toNodes.in / TICKS,
  };
}

/** The current heartbeat of a node with `topics` local topics, and its full re-sync (only after a reconnect). */
async function currentBeat(topics) {
  const commands = counted('beat');
  await commands.ping();
  let before = snapshot([commands]);
  let started = performance.now();
  const presence = new RedisPresence(commands, prefix, 'beat-node', () => topics, 3_600_000, (error) => console.error(error));
  await presence.resync(); // the constructor's own re-sync is in flight too: wait for both
  const resyncMs = (performance.now() - started) / 2;
  const resync = delta([commands], before);
  before = snapshot([commands]);
  started = performance.now();
  const BEATS = 20;
  for (let i = 0; i < BEATS; i++) await presence.beat();
  const ms = (performance.now() - started) / BEATS;
  const cost = delta([commands], before);
  await presence.close();
  commands.disconnect();
  return [
    { design: 'current', what: 'heartbeat', localTopics: topics.length, ms: Math.round(ms * 100) / 100, redisCommands: cost.commands / BEATS, bytesToRedis: cost.out / BEATS, bytesFromRedis: cost.in / BEATS },
    { design: 'current', what: 're-sync (after a reconnect only)', localTopics: topics.length, ms: Math.round(resyncMs * 10) / 10, redisCommands: resync.commands / 2, bytesToRedis: resync.out / 2, bytesFromRedis: resync.in / 2 },
  ];
}

/**
 * One node's side of a tick: `count` local user_count topics, one subscriber each, through the real
 * fan-out (GraphQL execute + frame) into sinks that count frames. Averaged over 5 ticks.
 */
async function currentLocalDelivery(count) {
  const schema = createSchema();
  const registry = new TopicRegistry();
  const fanout = new Fanout(schema, registry, { error: (o, m) => console.error(m, o) });
  const document = parse('subscription { accountsUserCount }');
  let frames = 0;
  let bytes = 0;
  const sink = { sendFrame: (frame) => ((frames += 1), (bytes += frame.length)) };
  for (let i = 0; i < count; i++) {
    const topic = `user_count:${randomUUID()}`;
    const subscriber = { sink, prefix: '{"id":"1","type":"next","payload":', group: undefined };
    registry.add(topic, `doc|${topic}`, { document, operationName: undefined, variables: undefined, context: {} }, subscriber);
  }
  const bus = new MemoryBus();
  const delivery = new UserCountDelivery({ bus, localTopics: () => registry.topics(), deliver: (t, m) => fanout.deliver(t, m), onError: (e) => console.error(e) });
  // The value function alone, for the split.
  const seed = Buffer.from(newSeed(), 'hex');
  const topics = [...registry.topics()];
  // The best of three passes: warm, and the least disturbed by other work on the machine.
  let hashMs = Infinity;
  let started;
  for (let pass = 0; pass < 3; pass++) {
    started = performance.now();
    for (const topic of topics) userCountValue(seed, topic);
    hashMs = Math.min(hashMs, performance.now() - started);
  }
  const TICKS = 5;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  started = performance.now();
  for (let i = 0; i < TICKS; i++) {
    delivery.receive(JSON.stringify({ tick: i + 1, seed: newSeed() }));
    await delivery.settled;
  }
  const ms = (performance.now() - started) / TICKS;
  loop.disable();
  delivery.close();
  if (frames !== count * TICKS) throw new Error(`expected ${count * TICKS} frames, got ${frames}`);
  return { design: 'current', what: 'local delivery (one node)', localTopics: count, ms: Math.round(ms), hashMs: Math.round(hashMs), maxEventLoopBlockMs: Math.round(loop.max / 1e6), redisCommands: 0, bytesToRedis: 0, bytesFromRedis: 0, frameBytes: bytes / TICKS };
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
      for (const row of await currentBeat(topicsOfFirstNode)) report(row);
      report(await currentTick(users));
    }
  }
  if (DESIGNS.includes('current')) report(await currentLocalDelivery(LOCAL));
} finally {
  await cleanup();
  admin.disconnect();
}
console.log('\n| design | what | size | time | Redis commands (one round trip each, MULTI…EXEC counted whole) | bytes to / from Redis | notes |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const size = r.users !== undefined ? `${r.users} users (${Math.ceil(r.users / PER_NODE)} nodes)` : `${r.localTopics} local topics`;
  const time = r.finished === false ? `> ${r.ms} ms (capped; ≈ ${r.extrapolatedMs} ms extrapolated)` : `${r.ms} ms`;
  const notes = [
    r.sunionMs !== undefined ? `SUNION ${r.sunionMs} ms, heap ${r.heapMB} MB` : '',
    r.bytesToAllNodes !== undefined ? `${fmtBytes(r.bytesToAllNodes)} to all nodes` : '',
    r.hashMs !== undefined ? `values alone ${r.hashMs} ms; longest event-loop block ${r.maxEventLoopBlockMs} ms; ${fmtBytes(r.frameBytes)} of frames` : '',
  ].join('');
  console.log(`| ${r.design} | ${r.what} | ${size} | ${time} | ${r.redisCommands} | ${fmtBytes(r.bytesToRedis)} / ${fmtBytes(r.bytesFromRedis)} | ${notes} |`);
}
process.exit(0);
