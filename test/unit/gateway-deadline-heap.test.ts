/** One structure for many deadlines: the heap, and the single re-armable timer over it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeadlineHeap } from '../../src/gateway/timers/deadline-heap.js';
import { SingleTimer } from '../../src/gateway/timers/single-timer.js';

describe('DeadlineHeap', () => {
  test('pops entries in deadline order, whatever the order they were pushed in', () => {
    const heap = new DeadlineHeap<number>();
    const deadlines = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
    deadlines.forEach((at, i) => heap.push(at, i));
    assert.equal(heap.size, 500);
    const popped: number[] = [];
    for (let entry = heap.pop(); entry !== undefined; entry = heap.pop()) popped.push(entry.at);
    assert.deepEqual(popped, [...deadlines].sort((a, b) => a - b));
    assert.equal(heap.size, 0);
    assert.equal(heap.peek(), undefined);
  });

  test('popDue takes every entry due at `now` and leaves the rest', () => {
    const heap = new DeadlineHeap<string>();
    heap.push(30, 'c');
    heap.push(10, 'a');
    heap.push(50, 'e');
    heap.push(20, 'b');
    heap.push(20, 'b2');
    assert.deepEqual(heap.popDue(5), []);
    assert.deepEqual(new Set(heap.popDue(20)), new Set(['a', 'b', 'b2']));
    assert.equal(heap.peek()?.key, 'c');
    assert.deepEqual(heap.popDue(100), ['c', 'e']);
    assert.equal(heap.size, 0);
  });

  test('keeps order under interleaved pushes and pops', () => {
    const heap = new DeadlineHeap<number>();
    const model: number[] = [];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      if (random() % 3 === 0 && model.length > 0) {
        model.sort((a, b) => a - b);
        assert.equal(heap.pop()?.at, model.shift());
      } else {
        const at = random() % 10_000;
        heap.push(at, i);
        model.push(at);
      }
      assert.equal(heap.size, model.length);
    }
  });
});

describe('SingleTimer', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('fires once at the earliest deadline it was armed for', async () => {
    let fired = 0;
    const timer = new SingleTimer(() => fired++);
    const now = Date.now();
    timer.armFor(now + 200);
    timer.armFor(now + 30);
    timer.armFor(now + 100);
    await sleep(70);
    assert.equal(fired, 1);
    await sleep(200);
    assert.equal(fired, 1, 'later deadlines did not arm another timer');
  });

  test('can be re-armed from its own callback, and cancelled', async () => {
    let fired = 0;
    const timer = new SingleTimer(() => {
      fired++;
      if (fired < 3) timer.armFor(Date.now() + 10);
    });
    timer.armFor(Date.now() + 10);
    await sleep(150);
    assert.equal(fired, 3);
    timer.armFor(Date.now() + 20);
    timer.cancel();
    await sleep(60);
    assert.equal(fired, 3);
  });

  test('a deadline in the past fires at once', async () => {
    let fired = 0;
    new SingleTimer(() => fired++).armFor(Date.now() - 1000);
    await sleep(10);
    assert.equal(fired, 1);
  });
});
