/**
 * Who runs the cluster's singleton jobs (the user-count worker): the holder of
 * a lease that expires unless renewed, so that another process takes over
 * when the holder dies.
 */
import type { Redis } from 'ioredis';

export interface Lease {
  /** Takes the lease if free, renews it if held; resolves whether this process holds it now. */
  hold(): Promise<boolean>;
  release(): Promise<void>;
}

/** One process: always the holder. */
export class LocalLease implements Lease {
  async hold(): Promise<boolean> {
    return true;
  }
  async release(): Promise<void> {}
}

// Atomically: renew if ours, take if free, else report who holds it.
const HOLD = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export class RedisLease implements Lease {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly holderId: string,
    private readonly ttlMs: number,
  ) {}

  async hold(): Promise<boolean> {
    const answer = await this.redis.eval(HOLD, 1, this.key, this.holderId, String(this.ttlMs));
    return answer === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.holderId);
  }
}
