/**
 * The server's Redis publisher against the machine's real Redis: the bus
 * gathers the publishes of one event-loop turn into script calls of up to 256
 * (publish-batcher.ts), and auto-pipelining (how the server opens the
 * connection) sends those calls in a few writes; every message still arrives,
 * on its own channel and in order. Without either, one command and one write
 * per publish (the control: the counts are real). A publisher that cannot
 * reach Redis fails every publish of the turn.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import type { Redis } from 'ioredis';
import { connectRedis, redisReady } from '../../src/pubsub/redis-connection.js';
import { RedisBus, type RedisBusOptions } from '../../src/pubsub/redis-bus.js';
import { REDIS_URL, redisSkip } from '../helpers/backends.js';

const skip = await redisSkip();
const log = { info() {}, warn() {} };
const MESSAGES = 1000;
const CHANNELS = 10;

interface Burst {
  readonly writes: number;
  /** Commands sent on the publishing connection, by name. */
  readonly commands: Map<string, number>;
  /** `channel:message`, in arrival order. */
  readonly received: string[];
}

/** Publishes MESSAGES over CHANNELS channels in one turn; resolves the writes and commands it took and what arrived. */
async function burst(autoPipelining: boolean, options: RedisBusOptions = {}): Promise<Burst> {
  const publisher = connectRedis(REDIS_URL, 'publisher', log, { autoPipelining });
  const subscriber = connectRedis(REDIS_URL, 'subscriber', log);
  const bus = new RedisBus(publisher, subscriber, `test-publisher-${randomBytes(4).toString('hex')}:`, () => {}, options);
  try {
    await Promise.all([redisReady(publisher), redisReady(subscriber)]);
    const received: string[] = [];
    let allArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    for (let c = 0; c < CHANNELS; c++) {
      bus.subscribe(`c${c}`, (message, channel) => {
        received.push(`${channel}:${message}`);
        if (received.length === MESSAGES) allArrived();
      });
    }
    // Every subscription is in place once a message published after the last comes back.
    await new Promise<void>((resolve) => {
      const probe = setInterval(() => void bus.publish('ready', 'x'), 20);
      const stop = bus.subscribe('ready', () => {
        clearInterval(probe);
        stop();
        resolve();
      });
    });
    const counted = publisher as Redis & { stream: { write: (...args: unknown[]) => boolean }; sendCommand: (command: { name: string }) => unknown };
    const write = counted.stream.write.bind(counted.stream);
    const sendCommand = counted.sendCommand.bind(counted);
    let writes = 0;
    const commands = new Map<string, number>();
    counted.stream.write = (...args: unknown[]) => {
      writes++;
      return write(...args);
    };
    counted.sendCommand = (command: { name: string }) => {
      commands.set(command.name, (commands.get(command.name) ?? 0) + 1);
      return sendCommand(command);
    };
    const published = Array.from({ length: MESSAGES }, (_, k) => bus.publish(`c${k % CHANNELS}`, `m${k}`));
    await Promise.all(published);
    await arrived;
    counted.stream.write = write;
    counted.sendCommand = sendCommand;
    return { writes, commands, received };
  } finally {
    await bus.close();
  }
}

const inOrder = Array.from({ length: MESSAGES }, (_, k) => `c${k % CHANNELS}:m${k}`);
const total = (commands: Map<string, number>) => [...commands.values()].reduce((sum, n) => sum + n, 0);

describe('the Redis publisher against a real Redis', { skip }, () => {
  const results: Record<string, Burst> = {};
  before(async () => {
    results['server'] = await burst(true);
    results['plain'] = await burst(false, { publishBatch: { maxMessages: 1, maxChars: 1e9 } });
  });

  it('as the server opens it: a turn of 1,000 publishes is 4 script calls in a few writes, and every message arrives on its channel, in order', () => {
    const { writes, commands, received } = results['server'] as Burst;
    assert.deepEqual(received, inOrder);
    // 256 + 256 + 256 + 232 (EVALSHA; EVAL once more if Redis did not know the script yet).
    assert.equal(commands.get('evalsha'), 4, JSON.stringify([...commands]));
    assert.ok(total(commands) <= 5 && (commands.get('publish') ?? 0) === 0, JSON.stringify([...commands]));
    assert.ok(writes <= 10, `${writes} writes for ${MESSAGES} publishes`);
  });

  it('without batching or pipelining (the control): one PUBLISH and one write per message', () => {
    const { writes, commands, received } = results['plain'] as Burst;
    assert.deepEqual(received, inOrder);
    assert.equal(commands.get('publish'), MESSAGES);
    assert.ok(writes >= MESSAGES, `${writes} writes for ${MESSAGES} publishes`);
  });

  it('a publisher that cannot reach Redis rejects every publish of the turn, a batch and a lone one alike', async () => {
    // Port 1 on loopback: nothing listens; commands fail at once (no offline queue).
    const publisher = connectRedis('redis://127.0.0.1:1', 'publisher', log, { autoPipelining: true });
    const subscriber = connectRedis('redis://127.0.0.1:1', 'subscriber', log);
    const bus = new RedisBus(publisher, subscriber, 'test-publisher-down:', () => {});
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, (_, k) => bus.publish('c', `m${k}`)));
      assert.deepEqual(
        outcomes.map((outcome) => outcome.status),
        ['rejected', 'rejected', 'rejected', 'rejected', 'rejected'],
      );
      await assert.rejects(bus.publish('c', 'alone'));
    } finally {
      await bus.close();
    }
  });
});
