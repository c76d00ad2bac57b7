/** The embedded default: an in-process bus. Delivery is asynchronous, as it is over Redis. */
import type { Bus, Listener } from './bus.js';

export class MemoryBus implements Bus {
  readonly #channels = new Map<string, Set<Listener>>();

  async publish(channel: string, message: string): Promise<void> {
    const listeners = this.#channels.get(channel);
    if (listeners === undefined) return;
    await Promise.resolve();
    for (const listener of [...listeners]) listener(message);
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
