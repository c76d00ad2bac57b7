/** The message slicer: a turn's messages past its budget wait, in order, with their sources paused. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessageSlicer } from '../../src/gateway/message-slicer.js';

/** A slicer over a fake clock and scheduler; each handled message costs `cost` ms of that clock. */
function setUp(budgetMs = 10, cost = 4) {
  let clock = 0;
  const scheduled: (() => void)[] = [];
  const handled: string[] = [];
  const events: string[] = [];
  const slicer = new MessageSlicer<string>({
    handle: (source, text) => {
      clock += cost;
      if (text === 'throw') throw new Error('handler failed');
      handled.push(`${source}:${text}`);
    },
    pause: (source) => events.push(`pause ${source}`),
    resume: (source) => events.push(`resume ${source}`),
    budgetMs,
    now: () => clock,
    later: (run) => void scheduled.push(run),
  });
  /** Runs what was scheduled so far, as the event loop's next turn would. */
  const turn = () => {
    for (const run of scheduled.splice(0)) {
      try {
        run();
      } catch {}
    }
  };
  return { slicer, handled, events, turn, scheduled };
}

describe('MessageSlicer', () => {
  test('handles messages at once while the turn is within its budget', () => {
    const { slicer, handled, events } = setUp(10, 4);
    slicer.push('a', '1');
    slicer.push('a', '2');
    slicer.push('b', '1');
    assert.deepEqual(handled, ['a:1', 'a:2', 'b:1'], 'three messages: 0, 4 and 8 ms into the turn');
    assert.equal(slicer.waiting, 0);
    assert.deepEqual(events, []);
  });

  test('past the budget, messages wait for later turns, in order, and each waiting source is paused once until its last is handled', () => {
    const { slicer, handled, events, turn } = setUp(10, 4);
    for (const text of ['1', '2', '3', '4', '5']) slicer.push('a', text);
    slicer.push('b', '1');
    slicer.push('a', '6');
    assert.deepEqual(handled, ['a:1', 'a:2', 'a:3']);
    assert.equal(slicer.waiting, 4);
    assert.deepEqual(events, ['pause a', 'pause b'], 'paused when their first message waits, once');
    turn(); // a new turn: the turn clock resets, and the queue drains 10 ms worth
    assert.deepEqual(handled, ['a:1', 'a:2', 'a:3', 'a:4', 'a:5', 'b:1']);
    assert.deepEqual(events, ['pause a', 'pause b', 'resume b'], 'b resumed after its only waiting message; a still waits');
    turn();
    assert.deepEqual(handled.slice(6), ['a:6']);
    assert.deepEqual(events.slice(3), ['resume a']);
    assert.equal(slicer.waiting, 0);
  });

  test('a message from a source with waiting messages waits too, even in a fresh turn, so its order holds', () => {
    const { slicer, handled, turn, scheduled } = setUp(10, 6);
    slicer.push('a', '1');
    slicer.push('a', '2');
    slicer.push('a', '3'); // 12 ms into the turn: waits
    assert.deepEqual(handled, ['a:1', 'a:2']);
    scheduled.shift()?.(); // the turn ends (the reset runs), the drain is still to come
    slicer.push('a', '4'); // a new turn with budget to spare, but a:3 waits: so does a:4
    assert.deepEqual(handled, ['a:1', 'a:2']);
    turn();
    assert.deepEqual(handled, ['a:1', 'a:2', 'a:3', 'a:4']);
  });

  test('a handler that throws does not stall the queue', () => {
    const { slicer, handled, events, turn } = setUp(5, 6);
    slicer.push('a', '1');
    slicer.push('a', 'throw');
    slicer.push('a', '2');
    turn();
    turn();
    turn();
    assert.deepEqual(handled, ['a:1', 'a:2']);
    assert.equal(slicer.waiting, 0);
    assert.deepEqual(events, ['pause a', 'resume a']);
  });
});
