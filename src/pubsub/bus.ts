/**
 * The message bus between Tessera's parts and, with Redis, between processes.
 * Delivery is at-most-once: a message published while a subscriber is
 * disconnected is not replayed; {@link Bus.onReconnect} tells a subscriber when
 * it may have missed some, so that it can catch up from the store (revocations do).
 */
/**
 * Called with each message of a channel, and that channel's name. The name is optional for
 * buses written before it was passed; a bus with {@link Bus.unsubscribe} must pass it.
 */
export type Listener = (message: string, channel?: string) => void;

export interface Bus {
  /** Sends `message` to every listener of `channel`, in this process and (with Redis) in all others. */
  publish(channel: string, message: string): Promise<void>;
  /** Listens on `channel` until the returned function is called. */
  subscribe(channel: string, listener: Listener): () => void;
  /**
   * Optional: stops `listener` on `channel`, as calling the function `subscribe` returned would.
   * A bus that has it must pass listeners the channel too; the engine then keeps one listener
   * for all its topics and no function per topic (a per-user topic per socket).
   */
  unsubscribe?(channel: string, listener: Listener): void;
  /**
   * Optional, for a bus on which every message is published in this process (the in-process
   * bus): listens on every channel whose name starts with `prefix`, with one listener and
   * nothing kept per channel, until the returned function is called. Listeners get the channel.
   * The engine then keeps no subscription per topic (a per-user topic is one per socket): a
   * message for a topic nobody here listens to costs one look-up in the engine instead of one
   * in the bus. A bus that must tell a server which channels to send it (Redis) leaves it out.
   */
  subscribePrefix?(prefix: string, listener: Listener): () => void;
  /**
   * Calls `listener` each time this process is back on the bus after losing it, once
   * its channels are subscribed again: messages published meanwhile were lost.
   * The in-process bus never loses messages, so never calls it.
   */
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}

/** Channel names, in one place. */
export const Channels = {
  /** Events for one subscription topic, e.g. `topic:user_count:<user id>`. */
  topic: (topic: string) => `topic:${topic}`,
  /** The topic of a {@link Channels.topic} channel. */
  topicOf: (channel: string) => channel.slice(6),
  /** Ended sessions: a JSON {@link RevocationMessage}. */
  revocations: 'tessera:revocations',
} as const;

export interface RevocationMessage {
  readonly sessionIds: readonly string[];
  /** The close reason for the sockets of those sessions. */
  readonly reason: string;
  /** When the sessions ended (ms since the epoch), for the revocation-delay metric; absent from older senders. */
  readonly endedAt?: number;
}
