/**
 * `tessera/redis`: the Redis implementations of the gateway's pluggable
 * infrastructure, for several processes or machines. Each takes an ioredis
 * client you create (and close); the bus takes two (a subscribed connection
 * cannot publish). ioredis is an optional peer dependency: install it to use these.
 */
export { RedisBus, type RedisBusOptions } from './pubsub/redis-bus.js';
export { DEFAULT_PUBLISH_BATCH_LIMITS, type PublishBatchLimits } from './pubsub/publish-batcher.js';
export { RedisResumptionLog } from './sse/redis-resumption-log.js';
export { RedisReplayGuard } from './tickets/redis-replay-guard.js';
export { RedisPresence, LocalPresence, type Presence } from './cluster/presence.js';
export { RedisLease, LocalLease, type Lease } from './cluster/lease.js';
export type { Bus, Listener } from './pubsub/bus.js';
