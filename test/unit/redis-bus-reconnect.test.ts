/**
 * The Redis bus's reconnect event, with fake ioredis connections: told only
 * after a connection loss, once every channel is subscribed again (so nothing
 * published after a listener catches up is missed), and even when that fails.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { RedisBus } from '../../src/pubsub/redis-bus.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

class FakeSubscriber extends EventEmitter {
  readonly log: string[] = [];
  failing = false;
  async subscribe(...channels: string[]): Promise<number> {
    this.log.push(`subscribe ${channels.join(' ')}`);
    if (this.failing) throw new Error('Connection is closed.');
    return channels.length;
  }
  async unsubscribe(): Promise<number> {
    return 0;
  }
  disconnect(): void {}
}

function setUp() {
  const subscriber = new FakeSubscriber();
  const errors: string[] = [];
  const bus = new RedisBus({ disconnect() {} } as unknown as Redis, subscriber as unknown as Redis, 'p:', (_e, channel) => errors.push(channel));
  return { subscriber, bus, errors };
}

describe('RedisBus.onReconnect', () => {
  test('fires after the listening connection comes back, once its channels are subscribed again', async () => {
    const { subscriber, bus } = setUp();
    bus.subscribe('a', () => {});
    bus.subscribe('b', () => {});
    await tick();
    let calls = 0;
    bus.onReconnect(() => {
      subscriber.log.push('reconnected');
      calls++;
    });
    subscriber.emit('ready'); // the first ready (or one without a loss) is no reconnect
    await tick();
    assert.equal(calls, 0);
    subscriber.emit('close');
    subscriber.emit('ready');
    await tick();
    assert.equal(calls, 1);
    assert.deepEqual(subscriber.log.slice(-2), ['subscribe p:a p:b', 'reconnected']);
    subscriber.emit('ready');
    await tick();
    assert.equal(calls, 1, 'once per loss');
    await bus.close();
  });

  test('fires even when subscribing again fails (the error is reported), and stops when unsubscribed', async () => {
    const { subscriber, bus, errors } = setUp();
    bus.subscribe('a', () => {});
    await tick();
    let calls = 0;
    const stop = bus.onReconnect(() => calls++);
    subscriber.failing = true;
    subscriber.emit('close');
    subscriber.emit('ready');
    await tick();
    assert.equal(calls, 1);
    assert.deepEqual(errors, ['*']);
    stop();
    subscriber.emit('close');
    subscriber.emit('ready');
    await tick();
    assert.equal(calls, 1);
    await bus.close();
  });
});
