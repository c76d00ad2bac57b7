/**
 * The bus over Redis pub/sub, for several processes and machines. One
 * connection publishes, one listens; a channel is subscribed in Redis while
 * this process has a listener for it, and dropped when the last one leaves.
 * When the listening connection comes back after a loss, every channel is
 * subscribed again, then the reconnect listeners are told.
 *
 * The publishes of one stretch of synchronous code (a loop over users) leave
 * as one script call per chunk of up to 256 (publish-batcher.ts), each running
 * the PUBLISHes in order; a lone publish is a plain PUBLISH. A publish therefore leaves when
 * the synchronous code that made it ends: another command sent on the publishing client right
 * after it, not awaiting it, can reach Redis first.
 */
import type { Redis } from 'ioredis';
import type { Bus, Listener } from './bus.js';
import { DEFAULT_PUBLISH_BATCH_LIMITS, type PublishBatchLimits, PublishBatcher } from './publish-batcher.js';

/** PUBLISH for each channel, message pair of ARGV, in order; answers how many. */
const PUBLISH_MANY = `
for i = 1, #ARGV, 2 do
  redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
end
return #ARGV / 2
`;

type WithPublishMany = Redis & { tesseraPublishMany(...pairs: string[]): Promise<number> };

export interface RedisBusOptions {
  /** How many publishes (and characters) one command may carry: 256 and 64 Ki by default; `maxMessages: 1` sends one PUBLISH each. */
  readonly publishBatch?: PublishBatchLimits;
}

export class RedisBus implements Bus {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #reconnectListeners = new Set<() => void>();
  readonly #batcher: PublishBatcher;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly onError: (error: unknown, channel: string) => void,
    options: RedisBusOptions = {},
  ) {
    this.#batcher = new PublishBatcher((pairs) => this.#sendChunk(pairs), options.publishBatch ?? DEFAULT_PUBLISH_BATCH_LIMITS);
    subscriber.on('message', (channel: string, message: string) => {
      const name = channel.slice(this.prefix.length);
      const listeners = this.#listeners.get(name);
      if (listeners === undefined) return;
      for (const listener of listeners) listener(message, name);
    });
    let lost = false;
    subscriber.on('close', () => (lost = true));
    subscriber.on('ready', () => {
      if (!lost) return;
      lost = false;
      // SUBSCRIBEs refused while Redis was down are not in ioredis's resubscribe list: send them all
      // again, and only then say so, so that nothing published after a listener catches up is missed.
      this.resubscribeAll()
        .catch((error: unknown) => this.onError(error, '*'))
        .finally(() => {
          for (const listener of this.#reconnectListeners) listener();
        });
    });
  }

  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => this.#reconnectListeners.delete(listener);
  }

  /** Resolves once Redis has taken the message (with the others of its chunk); rejects with the command's error. */
  publish(channel: string, message: string): Promise<void> {
    return this.#batcher.publish(this.prefix + channel, message);
  }

  #sendChunk(pairs: readonly string[]): Promise<unknown> {
    if (pairs.length === 2) return this.publisher.publish(pairs[0] as string, pairs[1] as string);
    const publisher = this.publisher as Partial<WithPublishMany> & Redis;
    // Defined on the client once (another bus on the same client finds it there); defineCommand
    // sends EVALSHA, and the script itself the first time Redis does not know it.
    if (publisher.tesseraPublishMany === undefined) publisher.defineCommand('tesseraPublishMany', { numberOfKeys: 0, lua: PUBLISH_MANY });
    return (publisher as WithPublishMany).tesseraPublishMany(...pairs);
  }

  subscribe(channel: string, listener: Listener): () => void {
    let listeners = this.#listeners.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(channel, listeners);
      // While Redis is down this fails; ioredis resubscribes what it knows of
      // on reconnect, so a failed first SUBSCRIBE is retried on 'ready'.
      this.subscriber.subscribe(this.prefix + channel).catch((error: unknown) => this.onError(error, channel));
    }
    listeners.add(listener);
    return () => this.unsubscribe(channel, listener);
  }

  unsubscribe(channel: string, listener: Listener): void {
    const current = this.#listeners.get(channel);
    if (current === undefined || !current.delete(listener) || current.size > 0) return;
    this.#listeners.delete(channel);
    this.subscriber.unsubscribe(this.prefix + channel).catch((error: unknown) => this.onError(error, channel));
  }

  /** Re-subscribes every channel with a listener: after a reconnect whose automatic resubscription missed some. */
  async resubscribeAll(): Promise<void> {
    const channels = [...this.#listeners.keys()].map((channel) => this.prefix + channel);
    if (channels.length > 0) await this.subscriber.subscribe(...channels);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#reconnectListeners.clear();
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }
}
