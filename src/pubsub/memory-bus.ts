/** The embedded default: an in-process bus. Delivery is asynchronous, as it is over Redis. */
import type { Bus, Listener } from './bus.js';

const DONE: Promise<void> = Promise.resolve();

export class MemoryBus implements Bus {
  readonly #channels = new Map<string, Set<Listener>>();
  // The messages published since the last delivery, as listener set, message, listener set, …:
  // delivered together, in publish order, in one microtask. A round of thousands of per-user
  // publishes then costs one promise, not an async call and a microtask each.
  #queue: (Set<Listener> | string)[] = [];
  #delivery: Promise<void> | undefined;

  /** Resolves once the message was handed to every listener (with every other message of this turn). */
  publish(channel: string, message: string): Promise<void> {
    const listeners = this.#channels.get(channel);
    if (listeners === undefined) return DONE;
    this.#queue.push(listeners, message);
    return (this.#delivery ??= DONE.then(() => this.#deliver()));
  }

  #deliver(): void {
    const queue = this.#queue;
    this.#queue = [];
    this.#delivery = undefined;
    let failure: { error: unknown } | undefined;
    for (let i = 0; i < queue.length; i += 2) {
      const listeners = queue[i] as Set<Listener>;
      const message = queue[i + 1] as string;
      try {
        if (listeners.size === 1) {
          // The one listener, without copying the set (a listener added meanwhile is not called, as below).
          for (const listener of listeners) {
            listener(message);
            break;
          }
        } else {
          for (const listener of [...listeners]) listener(message);
        }
      } catch (error) {
        // A listener's bug must not cost the other messages their delivery: they go on, and this turn's publishes reject.
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  subscribe(channel: string, listener: Listener): () => void {
    let listeners = this.#channels.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#channels.set(channel, listeners);
    }
    listeners.add(listener);
    return () => {
      const current = this.#channels.get(channel);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) this.#channels.delete(channel);
    };
  }

  /** In process, nothing is ever missed: never called. */
  onReconnect(_listener: () => void): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.#channels.clear();
  }
}
