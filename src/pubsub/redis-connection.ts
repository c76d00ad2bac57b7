/**
 * ioredis connections as Tessera uses them: reconnect forever with capped
 * backoff, resubscribe after a reconnect, and fail commands at once while
 * disconnected instead of queueing them (so that nothing published during an
 * outage arrives late: delivery is at-most-once).
 */
import { Redis } from 'ioredis';
import { urlWithoutPassword } from '../index.js';

export interface RedisLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface RedisConnectionOptions {
  /**
   * Send the commands issued in one event-loop turn in one write (ioredis's
   * `enableAutoPipelining`): for the publisher, whose per-user publishes come N at a
   * time. Default false: a command is written when it is issued.
   */
  readonly autoPipelining?: boolean;
}

export function connectRedis(url: string, role: string, log: RedisLog, options: RedisConnectionOptions = {}): Redis {
  const redis = new Redis(url, {
    enableAutoPipelining: options.autoPipelining ?? false,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResubscribe: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), 2000),
    connectionName: `tessera-${role}`,
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) log.warn({ role, err: { message: error.message }, redis: urlWithoutPassword(url) }, 'redis connection error');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info({ role }, 'redis reconnected');
    down = false;
  });
  return redis;
}

/** Resolves once the connection is ready (or rejects after `timeoutMs`), for a clean start-up. */
export function redisReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}
