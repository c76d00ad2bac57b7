/** The process-wide budget of unread output: pure, with fake connections and a fake timer. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BudgetedOutput, OutputBudget, SWEEP_MS, type TimerLike } from '../../src/gateway/output-budget.js';

class FakeOutput implements BudgetedOutput {
  closed = false;
  accountedBytes = 0;
  constructor(
    readonly name: string,
    public unreadBytes = 0,
    private readonly closes: string[] = [],
  ) {}
  closeForOutputBudget(): void {
    this.closed = true;
    this.closes.push(this.name);
  }
}

function fakeTimer() {
  const state = { fire: undefined as (() => void) | undefined, everyMs: 0, starts: 0 };
  const timer: TimerLike = {
    start(fire, everyMs) {
      state.fire = fire;
      state.everyMs = everyMs;
      state.starts++;
      return () => (state.fire = undefined);
    },
  };
  return { timer, state };
}

describe('OutputBudget', () => {
  test('a reading connection (0 before and after each send) is never held, and no timer runs', () => {
    const { timer, state } = fakeTimer();
    const budget = new OutputBudget(1000, timer);
    const reader = new FakeOutput('reader');
    for (let i = 0; i < 100; i++) budget.record(reader, 0);
    assert.equal(budget.heldCount, 0);
    assert.equal(budget.totalBytes, 0);
    assert.equal(state.starts, 0);
  });

  test('keeps a running total of what is held; the sweep re-measures only the holders and stops when none is left', () => {
    const { timer, state } = fakeTimer();
    const budget = new OutputBudget(10_000, timer);
    const a = new FakeOutput('a', 300);
    const b = new FakeOutput('b', 200);
    budget.record(a, 300);
    budget.record(b, 200);
    assert.equal(budget.totalBytes, 500);
    assert.equal(state.everyMs, SWEEP_MS);
    a.unreadBytes = 0; // drained without telling
    state.fire?.();
    assert.equal(budget.totalBytes, 200);
    assert.equal(budget.heldCount, 1);
    budget.forget(b);
    assert.equal(budget.totalBytes, 0);
    assert.equal(state.fire, undefined, 'the sweep stopped');
  });

  test('past the budget, the largest holders are closed first, only until the total is under it', () => {
    const closes: string[] = [];
    const budget = new OutputBudget(1000, fakeTimer().timer);
    const small = new FakeOutput('small', 100, closes);
    const medium = new FakeOutput('medium', 400, closes);
    const large = new FakeOutput('large', 500, closes);
    budget.record(small, 100);
    budget.record(medium, 400);
    budget.record(large, 500);
    assert.deepEqual(closes, [], 'at the budget, not past it');
    small.unreadBytes = 300;
    budget.record(small, 300); // 1200 > 1000
    assert.deepEqual(closes, ['large'], 'the largest goes, and that is enough');
    assert.equal(budget.totalBytes, 700);
    medium.unreadBytes = 2000;
    budget.record(medium, 2000);
    assert.deepEqual(closes, ['large', 'medium']);
    assert.equal(small.closed, false);
  });

  test('stale figures are measured again before anyone is closed', () => {
    const closes: string[] = [];
    const budget = new OutputBudget(1000, fakeTimer().timer);
    const drained = new FakeOutput('drained', 900, closes);
    budget.record(drained, 900);
    drained.unreadBytes = 0;
    const other = new FakeOutput('other', 500, closes);
    budget.record(other, 500);
    assert.deepEqual(closes, [], 'the total was 1400 as last seen, but 500 in fact');
    assert.equal(budget.totalBytes, 500);
  });

  test('the sweep enforces too: holders that grow without a send being recorded', () => {
    const closes: string[] = [];
    const { timer, state } = fakeTimer();
    const budget = new OutputBudget(1000, timer);
    const a = new FakeOutput('a', 600, closes);
    const b = new FakeOutput('b', 300, closes);
    budget.record(a, 600);
    budget.record(b, 300);
    b.unreadBytes = 700;
    state.fire?.();
    assert.deepEqual(closes, ['b']);
  });
});
