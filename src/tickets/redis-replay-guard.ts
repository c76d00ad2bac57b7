/** Single use of tickets across a cluster: an atomic SET NX with the ticket's remaining lifetime. */
import type { Redis } from 'ioredis';
import type { ReplayGuard } from './replay-guard.js';

export class RedisReplayGuard implements ReplayGuard {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(jti: string, expiresAt: number): Promise<boolean> {
    const ttl = Math.max(1, expiresAt - this.now());
    const answer = await this.redis.set(`${this.prefix}ticket:${jti}`, '1', 'PX', ttl, 'NX');
    return answer === 'OK';
  }
}
