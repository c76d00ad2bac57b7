/**
 * The sign-in limits shared by every process of a cluster: each counter is a
 * Redis key (`<REDIS_KEY_PREFIX>rate:<key>`) incremented with INCR and given
 * the window's lifetime with PEXPIRE when it is created. One small Lua script
 * checks all of a request's rules in one round trip and atomically, stopping
 * at the first refusal like the memory limiter. Redis expires the keys, so
 * nothing grows in this process; while Redis is unreachable the call fails
 * (the request is answered SERVICE_UNAVAILABLE) rather than being let through.
 */
import type { Redis } from 'ioredis';
import { ALLOWED, type RateDecision, type RateLimiter, type RateRule, refusedFor } from './rate-limiter.js';

// KEYS: the counters, in order. ARGV[1]: the window in ms; ARGV[1 + i]: KEYS[i]'s limit.
// Returns {0, 0} when every rule allows, else {i, remaining ms} for the first refusing KEYS[i].
const SCRIPT = `
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
  if count > tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, ARGV[1])
      ttl = tonumber(ARGV[1])
    end
    return {i, ttl}
  end
end
return {0, 0}
`;

interface WithRateScript {
  tesseraRateHit(numberOfKeys: number, ...args: (string | number)[]): Promise<[number, number]>;
}

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Redis & WithRateScript;
  readonly #windowMs: number;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    windowSeconds: number,
  ) {
    // defineCommand sends EVALSHA, and the script itself the first time Redis does not know it.
    if (typeof (redis as Partial<WithRateScript>).tesseraRateHit !== 'function') {
      redis.defineCommand('tesseraRateHit', { lua: SCRIPT });
    }
    this.#redis = redis as Redis & WithRateScript;
    this.#windowMs = windowSeconds * 1000;
  }

  /** The Redis key of a counter. */
  keyOf(key: string): string {
    return `${this.prefix}rate:${key}`;
  }

  async hit(rules: readonly RateRule[]): Promise<RateDecision> {
    if (rules.length === 0) return ALLOWED;
    const keys = rules.map((rule) => this.keyOf(rule.key));
    const [refusing, remainingMs] = await this.#redis.tesseraRateHit(
      keys.length,
      ...keys,
      this.#windowMs,
      ...rules.map((rule) => rule.limit),
    );
    return Number(refusing) === 0 ? ALLOWED : refusedFor(Number(remainingMs), rules[Number(refusing) - 1]);
  }
}
