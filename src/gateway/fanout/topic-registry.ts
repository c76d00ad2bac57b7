/**
 * Who listens to what: topic → groups of subscribers that share a result
 * (same document, variables and scope) → subscribers. Pure bookkeeping.
 */
import type { DocumentNode } from 'graphql';
import type { GraphQLContext } from '../../graphql/context.js';
import type { LeafPlan } from './leaf-result.js';
import type { NextPayload } from './next-payload.js';

/** Where a group's frames go: one subscription of one connection. */
export interface SubscriberSink {
  /** Sends one ready-made frame; the connection enforces its buffer limit. */
  sendFrame(frame: string): void;
  /** Sends the frame `prefix + payload.tail`, with no per-subscriber string; the fan-out prefers it when present. */
  sendNext?(prefix: string, payload: NextPayload): void;
}

export interface Subscriber {
  readonly sink: SubscriberSink;
  /** The start of this subscription's `next` frame (see frames.ts). */
  readonly prefix: string;
  group: Group | undefined;
  /** The document it holds in the document cache: released once, when the subscriber is removed. */
  readonly document?: { release(): void };
}

export interface GroupSpec {
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  readonly variables: Record<string, unknown> | undefined;
  /** A context of the group's scope: every member would execute to the same result with it. */
  readonly context: GraphQLContext;
}

export interface Group extends GroupSpec {
  readonly topic: string;
  readonly key: string;
  readonly subscribers: Set<Subscriber>;
  /** The fan-out's fast path for this group (leaf-result.ts): null when it has none, undefined until looked for. */
  leaf: LeafPlan | null | undefined;
}

export class TopicRegistry {
  readonly #topics = new Map<string, Map<string, Group>>();

  /** Adds the subscriber; resolves true when the topic had no subscriber before (listen to it now). */
  add(topic: string, key: string, spec: GroupSpec, subscriber: Subscriber): boolean {
    let groups = this.#topics.get(topic);
    const isNewTopic = groups === undefined;
    if (groups === undefined) {
      groups = new Map();
      this.#topics.set(topic, groups);
    }
    let group = groups.get(key);
    if (group === undefined) {
      group = { ...spec, topic, key, subscribers: new Set(), leaf: undefined };
      groups.set(key, group);
    }
    group.subscribers.add(subscriber);
    subscriber.group = group;
    return isNewTopic;
  }

  /** Removes the subscriber; resolves the topic when it has no subscriber left (stop listening). */
  remove(subscriber: Subscriber): string | undefined {
    const group = subscriber.group;
    if (group === undefined) return undefined;
    subscriber.group = undefined;
    group.subscribers.delete(subscriber);
    if (group.subscribers.size > 0) return undefined;
    const groups = this.#topics.get(group.topic);
    if (groups === undefined) return undefined;
    groups.delete(group.key);
    if (groups.size > 0) return undefined;
    this.#topics.delete(group.topic);
    return group.topic;
  }

  groups(topic: string): Iterable<Group> | undefined {
    return this.#topics.get(topic)?.values();
  }

  topics(): IterableIterator<string> {
    return this.#topics.keys();
  }

  /** Every group of every topic (for the metrics gauges, read at scrape time). */
  *allGroups(): IterableIterator<Group> {
    for (const groups of this.#topics.values()) yield* groups.values();
  }

  get topicCount(): number {
    return this.#topics.size;
  }
}
