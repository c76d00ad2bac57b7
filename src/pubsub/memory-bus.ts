/** The embedded default: an in-process bus. Delivery is asynchronous, as it is over Redis. */
import type { Bus, Listener } from './bus.js';

const DONE: Promise<void> = Promise.resolve();

/** A listener of every channel that starts with `prefix` (see Bus.subscribePrefix). */
interface PrefixSubscription {
  readonly prefix: string;
  readonly listener: Listener;
}

export class MemoryBus implements Bus {
  // A channel's one listener itself, a Set from the second on: most channels are one
  // subscription topic with one listener (the engine's), and a Set per topic is heap per socket.
  readonly #channels = new Map<string, Listener | Set<Listener>>();
  // Listeners by channel prefix (the engine's one for all topics): few, so an array.
  #prefixed: readonly PrefixSubscription[] = [];
  // The messages published since the last delivery, as channel, listeners, message, …:
  // delivered together, in publish order, in one microtask. A round of thousands of per-user
  // publishes then costs one promise, not an async call and a microtask each.
  #queue: (Listener | Set<Listener> | PrefixSubscription | string)[] = [];
  #delivery: Promise<void> | undefined;

  /** Resolves once the message was handed to every listener (with every other message of this turn). */
  publish(channel: string, message: string): Promise<void> {
    const listeners = this.#channels.get(channel);
    if (listeners !== undefined) this.#queue.push(channel, listeners, message);
    for (const subscription of this.#prefixed) {
      if (channel.startsWith(subscription.prefix)) this.#queue.push(channel, subscription, message);
    }
    if (this.#queue.length === 0) return DONE;
    return (this.#delivery ??= DONE.then(() => this.#deliver()));
  }

  #deliver(): void {
    const queue = this.#queue;
    this.#queue = [];
    this.#delivery = undefined;
    let failure: { error: unknown } | undefined;
    for (let i = 0; i < queue.length; i += 3) {
      const listeners = queue[i + 1] as Listener | Set<Listener> | PrefixSubscription;
      const message = queue[i + 2] as string;
      try {
        if (typeof listeners === 'function') {
          // Unless it stopped listening since the publish (a Set would have lost it too).
          const now = this.#channels.get(queue[i] as string);
          if (now === listeners || (now instanceof Set && now.has(listeners))) listeners(message, queue[i] as string);
        } else if (!(listeners instanceof Set)) {
          // A prefix listener, unless it stopped listening since the publish.
          if (this.#prefixed.includes(listeners)) listeners.listener(message, queue[i] as string);
        } else if (listeners.size === 1) {
          // The one listener, without copying the set (a listener added meanwhile is not called, as below).
          for (const listener of listeners) {
            listener(message, queue[i] as string);
            break;
          }
        } else {
          for (const listener of [...listeners]) listener(message, queue[i] as string);
        }
      } catch (error) {
        // A listener's bug must not cost the other messages their delivery: they go on, and this turn's publishes reject.
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  subscribe(channel: string, listener: Listener): () => void {
    const listeners = this.#channels.get(channel);
    if (listeners === undefined) this.#channels.set(channel, listener);
    else if (listeners instanceof Set) listeners.add(listener);
    else if (listeners !== listener) this.#channels.set(channel, new Set([listeners, listener]));
    return () => this.unsubscribe(channel, listener);
  }

  unsubscribe(channel: string, listener: Listener): void {
    const current = this.#channels.get(channel);
    if (current === listener) {
      this.#channels.delete(channel);
    } else if (current instanceof Set) {
      current.delete(listener);
      if (current.size === 0) this.#channels.delete(channel);
    }
  }

  subscribePrefix(prefix: string, listener: Listener): () => void {
    const subscription: PrefixSubscription = { prefix, listener };
    this.#prefixed = [...this.#prefixed, subscription];
    return () => {
      this.#prefixed = this.#prefixed.filter((other) => other !== subscription);
    };
  }

  /** In process, nothing is ever missed: never called. */
  onReconnect(_listener: () => void): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.#channels.clear();
    this.#prefixed = [];
  }
}
