/** The fixed-window attempt counter behind the login and register limits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../../src/accounts/rate-limiter.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('RateLimiter', () => {
  it('allows `limit` attempts per key in a window and refuses the next', () => {
    const time = clock();
    const limiter = new RateLimiter(3, 60, time.now);
    for (let i = 0; i < 3; i++) assert.deepEqual(limiter.hit('a'), { allowed: true, retryAfterSeconds: 0 });
    const refused = limiter.hit('a');
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterSeconds, 60);
  });

  it('counts each key on its own', () => {
    const limiter = new RateLimiter(1, 60, clock().now);
    assert.equal(limiter.hit('a').allowed, true);
    assert.equal(limiter.hit('b').allowed, true);
    assert.equal(limiter.hit('a').allowed, false);
  });

  it('says how many whole seconds remain until the window ends, at least 1', () => {
    const time = clock();
    const limiter = new RateLimiter(1, 10, time.now);
    limiter.hit('a');
    time.advance(2_500);
    assert.equal(limiter.hit('a').retryAfterSeconds, 8);
    time.advance(7_400);
    assert.equal(limiter.hit('a').retryAfterSeconds, 1);
  });

  it('allows again once the window has ended', () => {
    const time = clock();
    const limiter = new RateLimiter(2, 10, time.now);
    limiter.hit('a');
    limiter.hit('a');
    assert.equal(limiter.hit('a').allowed, false);
    time.advance(10_000);
    assert.equal(limiter.hit('a').allowed, true);
    assert.equal(limiter.hit('a').allowed, true);
    assert.equal(limiter.hit('a').allowed, false);
  });

  it('refused attempts do not extend the window', () => {
    const time = clock();
    const limiter = new RateLimiter(1, 10, time.now);
    limiter.hit('a');
    for (let i = 0; i < 9; i++) {
      time.advance(1_000);
      assert.equal(limiter.hit('a').allowed, false);
    }
    time.advance(1_000);
    assert.equal(limiter.hit('a').allowed, true);
  });

  it('prune forgets ended windows only', () => {
    const time = clock();
    const limiter = new RateLimiter(1, 10, time.now);
    limiter.hit('old');
    time.advance(5_000);
    limiter.hit('new');
    time.advance(5_000);
    limiter.prune();
    assert.equal(limiter.hit('old').allowed, true, 'the ended window was forgotten');
    assert.equal(limiter.hit('new').allowed, false, 'the live window was kept');
  });
});
