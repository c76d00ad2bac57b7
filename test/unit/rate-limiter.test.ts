/** The fixed-window attempt counters behind the sign-in limits, in memory: windows, order, and the key bound. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRateLimiter, type RateRule } from '../../src/accounts/rate-limiter.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const one = (key: string, limit: number): RateRule[] => [{ key, limit }];

describe('MemoryRateLimiter', () => {
  it('allows `limit` attempts per key in a window and refuses the next', () => {
    const time = clock();
    const limiter = new MemoryRateLimiter(60, 1000, time.now);
    for (let i = 0; i < 3; i++) assert.deepEqual(limiter.hitNow(one('a', 3)), { allowed: true, retryAfterSeconds: 0 });
    const refused = limiter.hitNow(one('a', 3));
    assert.equal(refused.allowed, false);
    assert.equal(refused.retryAfterSeconds, 60);
  });

  it('counts each key on its own', async () => {
    const limiter = new MemoryRateLimiter(60, 1000, clock().now);
    assert.equal((await limiter.hit(one('a', 1))).allowed, true);
    assert.equal((await limiter.hit(one('b', 1))).allowed, true);
    assert.equal((await limiter.hit(one('a', 1))).allowed, false);
  });

  it('says how many whole seconds remain until the window ends, at least 1', () => {
    const time = clock();
    const limiter = new MemoryRateLimiter(10, 1000, time.now);
    limiter.hitNow(one('a', 1));
    time.advance(2_500);
    assert.equal(limiter.hitNow(one('a', 1)).retryAfterSeconds, 8);
    time.advance(7_400);
    assert.equal(limiter.hitNow(one('a', 1)).retryAfterSeconds, 1);
  });

  it('allows again once the window has ended', () => {
    const time = clock();
    const limiter = new MemoryRateLimiter(10, 1000, time.now);
    limiter.hitNow(one('a', 2));
    limiter.hitNow(one('a', 2));
    assert.equal(limiter.hitNow(one('a', 2)).allowed, false);
    time.advance(10_000);
    assert.equal(limiter.hitNow(one('a', 2)).allowed, true);
    assert.equal(limiter.hitNow(one('a', 2)).allowed, true);
    assert.equal(limiter.hitNow(one('a', 2)).allowed, false);
  });

  it('refused attempts do not extend the window', () => {
    const time = clock();
    const limiter = new MemoryRateLimiter(10, 1000, time.now);
    limiter.hitNow(one('a', 1));
    for (let i = 0; i < 9; i++) {
      time.advance(1_000);
      assert.equal(limiter.hitNow(one('a', 1)).allowed, false);
    }
    time.advance(1_000);
    assert.equal(limiter.hitNow(one('a', 1)).allowed, true);
  });

  it('checks rules in order and stops counting at the first refusal: later rules get no window', () => {
    const limiter = new MemoryRateLimiter(60, 1000, clock().now);
    const rules = (email: string): RateRule[] => [
      { key: 'ip:1', limit: 2 },
      { key: `email:${email}`, limit: 1 },
    ];
    assert.equal(limiter.hitNow(rules('a')).allowed, true);
    assert.equal(limiter.hitNow(rules('b')).allowed, true);
    assert.equal(limiter.size, 3);
    for (let i = 0; i < 50; i++) assert.equal(limiter.hitNow(rules(`junk${i}`)).allowed, false);
    assert.equal(limiter.size, 3, 'an address over its limit makes no per-email windows');
    // A later refusal does not count earlier keys twice, and the refused email key is counted.
    const fresh = new MemoryRateLimiter(60, 1000, clock().now);
    assert.equal(fresh.hitNow([{ key: 'x', limit: 5 }, { key: 'y', limit: 1 }]).allowed, true);
    assert.equal(fresh.hitNow([{ key: 'x', limit: 5 }, { key: 'y', limit: 1 }]).allowed, false);
    assert.equal(fresh.hitNow([{ key: 'x', limit: 3 }]).allowed, true, 'x was counted twice, not more');
    assert.equal(fresh.hitNow([{ key: 'x', limit: 3 }]).allowed, false);
  });

  it('never keeps more than maxKeys windows, evicting ended windows first, then the oldest', () => {
    const time = clock();
    const limiter = new MemoryRateLimiter(10, 100, time.now);
    for (let i = 0; i < 100; i++) limiter.hitNow(one(`old${i}`, 1));
    time.advance(5_000);
    for (let i = 0; i < 50_000; i++) {
      limiter.hitNow(one(`junk${i}`, 1));
      assert.ok(limiter.size <= 100);
    }
    assert.equal(limiter.size, 100);
    // The newest windows are the ones kept: the last key is still limited, an early one was evicted.
    assert.equal(limiter.hitNow(one('junk49999', 1)).allowed, false);
    assert.equal(limiter.hitNow(one('junk0', 1)).allowed, true);
  });

  it('when full, an ended window makes room before a live one is evicted', () => {
    const time = clock();
    const limiter = new MemoryRateLimiter(10, 3, time.now);
    limiter.hitNow(one('a', 1));
    time.advance(6_000);
    limiter.hitNow(one('b', 1));
    limiter.hitNow(one('c', 1));
    time.advance(5_000); // a has ended; b and c are live
    limiter.hitNow(one('d', 1));
    assert.equal(limiter.size, 3);
    assert.equal(limiter.hitNow(one('b', 1)).allowed, false, 'b was kept');
    assert.equal(limiter.hitNow(one('c', 1)).allowed, false, 'c was kept');
  });

  it('drops ended windows a few at a time on every hit, without waiting to be full', () => {
    const time = clock();
    const limiter = new MemoryRateLimiter(10, 100_000, time.now);
    for (let i = 0; i < 1000; i++) limiter.hitNow(one(`k${i}`, 1));
    time.advance(10_000);
    for (let i = 0; i < 100; i++) limiter.hitNow(one('live', 1000));
    assert.equal(limiter.size, 1000 - 4 * 100 + 1, 'four ended windows dropped per hit');
    for (let i = 0; i < 200; i++) limiter.hitNow(one('live', 1000));
    assert.equal(limiter.size, 1, 'only the live window is left');
  });

  it('prune forgets ended windows only', () => {
    const time = clock();
    const limiter = new MemoryRateLimiter(10, 1000, time.now);
    limiter.hitNow(one('old', 1));
    time.advance(5_000);
    limiter.hitNow(one('new', 1));
    time.advance(5_000);
    limiter.prune();
    assert.equal(limiter.size, 1);
    assert.equal(limiter.hitNow(one('old', 1)).allowed, true, 'the ended window was forgotten');
    assert.equal(limiter.hitNow(one('new', 1)).allowed, false, 'the live window was kept');
  });
});
