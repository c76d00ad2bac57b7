/**
 * The in-process bus: asynchronous delivery in publish order, resolved once delivered;
 * a turn's messages go out together, and one listener's throw neither loses the
 * others' messages nor passes unnoticed. Prefix listeners (the engine's, for all topics).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryBus } from '../../src/pubsub/memory-bus.js';
import { Publisher } from '../../src/pubsub/publisher.js';

describe('MemoryBus', () => {
  test('delivers asynchronously, in publish order, and resolves after delivery', async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    bus.subscribe('a', (message) => got.push(`a:${message}`));
    bus.subscribe('b', (message) => got.push(`b:${message}`));
    bus.subscribe('b', (message) => got.push(`b2:${message}`));
    const sent = [bus.publish('a', '1'), bus.publish('b', '2'), bus.publish('nobody', 'x'), bus.publish('a', '3')];
    assert.deepEqual(got, [], 'nothing in the publishing turn');
    await sent[0];
    assert.deepEqual(got, ['a:1', 'b:2', 'b2:2', 'a:3']);
    await Promise.all(sent);
  });

  test('a listener subscribed or unsubscribed during a delivery is not called for that message', async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    let stop: () => void = () => {};
    stop = bus.subscribe('t', (message) => {
      got.push(`first:${message}`);
      stop();
      bus.subscribe('t', (m) => got.push(`late:${m}`));
    });
    await bus.publish('t', '1');
    await bus.publish('t', '2');
    assert.deepEqual(got, ['first:1', 'late:2']);
  });

  test('a listener that stops between the publish and the delivery is not called; the others still are', async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    const stopAlone = bus.subscribe('alone', (message) => got.push(`alone:${message}`));
    const listener = (message: string) => got.push(`x:${message}`);
    const stopX = bus.subscribe('pair', listener);
    bus.subscribe('pair', listener); // the same listener twice is one listener, as in a Set
    bus.subscribe('pair', (message) => got.push(`y:${message}`));
    const sent = [bus.publish('alone', '1'), bus.publish('pair', '2')];
    stopAlone();
    stopX();
    await Promise.all(sent);
    assert.deepEqual(got, ['y:2']);
    await bus.publish('alone', '3');
    assert.deepEqual(got, ['y:2'], 'no listener left on the channel');
    const stopAgain = bus.subscribe('alone', (message) => got.push(`again:${message}`));
    await bus.publish('alone', '4');
    stopAgain();
    stopAgain();
    await bus.publish('alone', '5');
    assert.deepEqual(got, ['y:2', 'again:4']);
  });

  test("a throwing listener: every other message of the turn is still delivered, and the turn's publishes reject", async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    bus.subscribe('bad', () => {
      throw new Error('listener bug');
    });
    bus.subscribe('good', (message) => got.push(message));
    const results = await Promise.allSettled([bus.publish('good', '1'), bus.publish('bad', 'x'), bus.publish('good', '2')]);
    assert.deepEqual(got, ['1', '2']);
    assert.ok(results.every((result) => result.status === 'rejected'));
    // The next turn is unaffected.
    await bus.publish('good', '3');
    assert.deepEqual(got, ['1', '2', '3']);
  });

  test('a message published by a listener goes out in a later delivery, also awaited', async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    let inner: Promise<void> | undefined;
    bus.subscribe('outer', () => {
      inner = bus.publish('inner', 'i');
    });
    bus.subscribe('inner', (message) => got.push(message));
    await bus.publish('outer', 'o');
    assert.ok(inner !== undefined);
    await inner;
    assert.deepEqual(got, ['i']);
  });

  test('a prefix listener hears every channel with its prefix, with the channel, in publish order with the others', async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    const stop = bus.subscribePrefix('topic:', (message, channel) => got.push(`prefix ${channel}:${message}`));
    bus.subscribe('topic:a', (message) => got.push(`own topic:a:${message}`));
    const sent = [bus.publish('topic:a', '1'), bus.publish('other', 'x'), bus.publish('topic:', '2'), bus.publish('topic:b', '3'), bus.publish('topi', 'y')];
    assert.deepEqual(got, [], 'nothing in the publishing turn');
    await Promise.all(sent);
    assert.deepEqual(got, ['own topic:a:1', 'prefix topic:a:1', 'prefix topic::2', 'prefix topic:b:3']);
    got.length = 0;
    // Stopped between the publish and the delivery: not called.
    const late = bus.publish('topic:c', '4');
    stop();
    await late;
    await bus.publish('topic:d', '5');
    assert.deepEqual(got, []);
    stop(); // twice is harmless
  });

  test('prefix listeners: each of several is called, and close() stops them', async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    bus.subscribePrefix('t:', (message) => got.push(`one:${message}`));
    bus.subscribePrefix('t:x', (message) => got.push(`two:${message}`));
    await bus.publish('t:x1', 'a');
    await bus.publish('t:y', 'b');
    assert.deepEqual(got, ['one:a', 'two:a', 'one:b']);
    await bus.close();
    await bus.publish('t:x', 'c');
    assert.deepEqual(got, ['one:a', 'two:a', 'one:b']);
  });
});

describe('Publisher', () => {
  test('sends JSON on the topic channel and counts the event once the bus took it, when metrics are on', async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    bus.subscribe('topic:t', (message) => got.push(message));
    let published = 0;
    const metrics = { enabled: true, published: () => published++ } as unknown as ConstructorParameters<typeof Publisher>[1];
    const publisher = new Publisher(bus, metrics);
    const done = publisher.publish('t', { n: 1 });
    assert.equal(published, 0);
    await done;
    assert.deepEqual(got, ['{"n":1}']);
    assert.equal(published, 1);
  });

  test('a value JSON cannot hold rejects, not throws', async () => {
    const publisher = new Publisher(new MemoryBus());
    await assert.rejects(publisher.publish('t', 1n));
  });
});
