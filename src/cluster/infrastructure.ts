/**
 * The parts that differ between one process and a cluster: the bus, the
 * ticket replay guard, the sign-in rate limiter, topic presence and the worker lease. Without REDIS_URL
 * they live in memory (used tickets too: the memory guard refuses tickets signed
 * before it started, so a restart does not make a spent one usable again); with
 * it, in Redis, behind the same interfaces.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { MemoryBus, MemoryReplayGuard, MemoryResumptionLog, StartupError, urlWithoutPassword, type Bus, type ReplayGuard, type ResumptionLog } from '../index.js';
import { LocalLease, LocalPresence, RedisBus, RedisLease, RedisPresence, RedisReplayGuard, RedisResumptionLog, type Lease, type Presence } from '../redis.js';
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from '../accounts/index.js';
import { connectRedis, redisReady } from '../pubsub/redis-connection.js';
import { redisProblem } from '../startup-problems.js';

export interface Infrastructure {
  readonly bus: Bus;
  /** The SSE Last-Event-ID log: in this process's memory, or a capped Redis Stream per topic. */
  readonly resumptionLog: ResumptionLog;
  readonly replayGuard: ReplayGuard;
  /** Sign-in attempt counters: per process in memory, cluster-wide in Redis. */
  readonly rateLimiter: RateLimiter;
  readonly lease: Lease;
  presence(localTopics: () => Iterable<string>): Presence;
  readonly description: string;
  /** Resolves when the shared services answer (always, in memory). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export async function createInfrastructure(config: Config, logger: Logger, nodeId: string): Promise<Infrastructure> {
  const url = config.redisUrl;
  if (url === undefined) {
    return {
      bus: new MemoryBus(),
      resumptionLog: new MemoryResumptionLog({
        maxEvents: config.sseResumeMaxEvents,
        maxAgeMs: config.sseResumeMaxAgeMs,
        maxTopics: config.sseResumeMaxTopics,
        maxBytes: config.sseResumeMaxBytes,
      }),
      // One process (WORKERS above 1 needs Redis), so one guard sees every ticket: no store write per connect.
      replayGuard: new MemoryReplayGuard(),
      rateLimiter: new MemoryRateLimiter(config.authRateLimitWindowSeconds, config.authRateLimitMaxKeys),
      lease: new LocalLease(),
      presence: (localTopics) => new LocalPresence(localTopics),
      description: 'in-process',
      ready: async () => {},
      close: async () => {},
    };
  }
  const log = logger.child({ component: 'redis' });
  const commands = connectRedis(url, 'commands', log);
  // The bus gathers a turn's publishes (a tick's or a burst's, one per user) into script calls; auto-pipelining sends those in one write.
  const publisher = connectRedis(url, 'publisher', log, { autoPipelining: true });
  const subscriber = connectRedis(url, 'subscriber', log);
  try {
    await Promise.all([redisReady(commands), redisReady(publisher), redisReady(subscriber)]);
  } catch (error) {
    commands.disconnect();
    publisher.disconnect();
    subscriber.disconnect();
    throw new StartupError(redisProblem(urlWithoutPassword(url), (error as Error).message), { cause: error });
  }
  const prefix = config.redisKeyPrefix;
  const bus = new RedisBus(publisher, subscriber, prefix, (error, channel) =>
    log.warn({ err: { message: (error as Error).message }, channel }, 'redis (un)subscribe failed; retried on reconnect'),
  );
  const interval = config.userCountIntervalMs > 0 ? config.userCountIntervalMs : 10_000;
  const presences: Presence[] = [];
  return {
    bus,
    resumptionLog: new RedisResumptionLog(commands, prefix, { maxEvents: config.sseResumeMaxEvents, maxAgeMs: config.sseResumeMaxAgeMs }),
    replayGuard: new RedisReplayGuard(commands, prefix),
    rateLimiter: new RedisRateLimiter(commands, prefix, config.authRateLimitWindowSeconds),
    lease: new RedisLease(commands, `${prefix}lease:user-count`, nodeId, Math.round(interval * 1.5)),
    presence: (localTopics) => {
      const presence = new RedisPresence(commands, prefix, nodeId, localTopics, Math.min(5000, interval), (error) =>
        log.warn({ err: { message: (error as Error).message } }, 'presence update failed'),
      );
      presences.push(presence);
      return presence;
    },
    description: `redis ${urlWithoutPassword(url)}`,
    ready: async () => {
      await commands.ping();
      if (subscriber.status !== 'ready') throw new Error('the Redis subscriber connection is not ready');
    },
    close: async () => {
      for (const presence of presences) await presence.close();
      await bus.close();
      commands.disconnect();
    },
  };
}
