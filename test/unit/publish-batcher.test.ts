/**
 * The publish batcher (the Redis bus's): the publishes of one stretch of
 * synchronous code leave as chunks, in order, bounded by count and by size;
 * each publish settles with its chunk's command, and a failed command fails
 * its own publishes only.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_PUBLISH_BATCH_LIMITS, PublishBatcher } from '../../src/pubsub/publish-batcher.js';

/** A batcher whose sends are recorded and answered by `answer` (resolved by default). */
function recorded(limits = DEFAULT_PUBLISH_BATCH_LIMITS, answer: (pairs: readonly string[], k: number) => Promise<unknown> = () => Promise.resolve()) {
  const sent: string[][] = [];
  const batcher = new PublishBatcher((pairs) => {
    sent.push([...pairs]);
    return answer(pairs, sent.length - 1);
  }, limits);
  return { batcher, sent };
}

const settled = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: Error) => `rejected: ${error.message}`,
  );

describe('PublishBatcher', () => {
  test('the publishes of one synchronous stretch leave together, after it, in publish order', async () => {
    const { batcher, sent } = recorded();
    const done = [batcher.publish('a', '1'), batcher.publish('b', '2'), batcher.publish('a', '3')];
    assert.deepEqual(sent, [], 'nothing is sent while the publishing code runs');
    await Promise.all(done);
    assert.deepEqual(sent, [['a', '1', 'b', '2', 'a', '3']]);
    assert.equal(done[0], done[2], 'the publishes of a chunk share its promise');
  });

  test('a later stretch is a command of its own', async () => {
    const { batcher, sent } = recorded();
    await batcher.publish('a', '1');
    await batcher.publish('a', '2');
    assert.deepEqual(sent, [['a', '1'], ['a', '2']]);
  });

  test('a chunk carries at most maxMessages publishes; the rest follow in order', async () => {
    const { batcher, sent } = recorded({ maxMessages: 256, maxChars: 1e9 });
    await Promise.all(Array.from({ length: 600 }, (_, k) => batcher.publish(`c${k}`, `m${k}`)));
    assert.deepEqual(
      sent.map((pairs) => pairs.length / 2),
      [256, 256, 88],
    );
    assert.deepEqual(
      sent.flat(),
      Array.from({ length: 600 }, (_, k) => [`c${k}`, `m${k}`]).flat(),
    );
  });

  test('a chunk carries at most maxChars characters, and a longer message goes alone', async () => {
    const { batcher, sent } = recorded({ maxMessages: 256, maxChars: 100 });
    const big = 'x'.repeat(150);
    await Promise.all([
      batcher.publish('c', 'a'.repeat(40)),
      batcher.publish('c', 'b'.repeat(40)), // 82 characters so far
      batcher.publish('c', 'c'.repeat(40)), // would be 123: a new chunk
      batcher.publish('c', big), // longer than the limit: alone
      batcher.publish('c', 'd'),
    ]);
    assert.deepEqual(
      sent.map((pairs) => pairs.filter((_, k) => k % 2 === 1).map((message) => message[0] ?? '')),
      [['a', 'b'], ['c'], ['x'], ['d']],
    );
    assert.equal(sent[2]?.[1], big);
  });

  test('a failed command rejects the publishes it carried, and only those', async () => {
    const { batcher } = recorded({ maxMessages: 2, maxChars: 1e9 }, (_pairs, k) => (k === 1 ? Promise.reject(new Error('redis down')) : Promise.resolve()));
    const done = ['1', '2', '3', '4', '5'].map((message) => settled(batcher.publish('c', message)));
    assert.deepEqual(await Promise.all(done), ['resolved', 'resolved', 'rejected: redis down', 'rejected: redis down', 'resolved']);
  });

  test('a send that throws rejects its chunk instead of throwing at the publisher', async () => {
    const batcher = new PublishBatcher(() => {
      throw new Error('not connected');
    });
    assert.equal(await settled(batcher.publish('c', 'm')), 'rejected: not connected');
  });

  test('limits below one are refused', () => {
    assert.throws(() => new PublishBatcher(() => Promise.resolve(), { maxMessages: 0, maxChars: 10 }), /maxMessages >= 1/);
    assert.throws(() => new PublishBatcher(() => Promise.resolve(), { maxMessages: 10, maxChars: 0 }), /maxChars >= 1/);
  });
});
