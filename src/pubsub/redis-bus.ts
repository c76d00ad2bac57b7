/**
 * The bus over Redis pub/sub, for several processes and machines. One
 * connection publishes, one listens; a channel is subscribed in Redis while
 * this process has a listener for it, and dropped when the last one leaves.
 * When the listening connection comes back after a loss, every channel is
 * subscribed again, then the reconnect listeners are told.
 */
import type { Redis } from 'ioredis';
import type { Bus, Listener } from './bus.js';

export class RedisBus implements Bus {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #reconnectListeners = new Set<() => void>();

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly onError: (error: unknown, channel: string) => void,
  ) {
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

  async publish(channel: string, message: string): Promise<void> {
    await this.publisher.publish(this.prefix + channel, message);
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
