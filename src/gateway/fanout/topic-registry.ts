/**
 * Who listens to what: topic → groups of subscribers that share a result
 * (same document, variables and scope) → subscribers. Pure bookkeeping.
 */
import type { DocumentNode } from 'graphql';
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
  /**
   * A context of the group's scope: every member would execute to the same result with it
   * (for a `global` group, the context built for no session; for a `user` group, its first subscriber's).
   */
  readonly context: unknown;
  /** Whether the group's events pass their resumption id on (TopicSpec.resumable); true when absent. */
  readonly resumable?: boolean;
  /**
   * Whose results these are: the user id of a `user` group, '' (or absent) for a shared one.
   * Kept apart from the key so that the key (document, operation, variables) can be one
   * string shared by every user's group, and the scope the session's own user id string.
   */
  readonly scope?: string;
}

export interface Group extends GroupSpec {
  readonly topic: string;
  /** The key given to {@link TopicRegistry.add}: with {@link GroupSpec.scope}, what identifies the group on its topic. */
  readonly key: string;
  /**
   * The members: the one subscriber itself while it is alone (every per-user group, and
   * most groups), a Set from the second member on (and a Set for good
   * once it had two). Count them with {@link memberCount}.
   */
  members: Subscriber | Set<Subscriber>;
  /** The fan-out's fast path for this group (leaf-result.ts): null when it has none, undefined until looked for. */
  leaf: LeafPlan | null | undefined;
}

/** How many subscribers a group has. */
export function memberCount(group: Group): number {
  return group.members instanceof Set ? group.members.size : 1;
}

/**
 * A topic's groups: the one group itself when it has one (every per-user topic), a Map
 * by key from the second on. No per-topic container for the common case: a per-user
 * subscription costs its Subscriber and one Group.
 */
export type TopicGroups = Group | ReadonlyMap<string, Group>;

export class TopicRegistry {
  readonly #topics = new Map<string, Group | Map<string, Group>>();

  /** Adds the subscriber; resolves true when the topic had no subscriber before (listen to it now). */
  add(topic: string, key: string, spec: GroupSpec, subscriber: Subscriber): boolean {
    const entry = this.#topics.get(topic);
    let group: Group | undefined;
    if (entry === undefined) {
      group = newGroup(topic, key, spec, subscriber);
      this.#topics.set(topic, group);
      subscriber.group = group;
      return true;
    }
    const scope = spec.scope ?? '';
    if (entry instanceof Map) group = entry.get(mapKey(key, scope));
    else if (entry.key === key && (entry.scope ?? '') === scope) group = entry;
    if (group === undefined) {
      const created = newGroup(topic, key, spec, subscriber);
      if (entry instanceof Map) entry.set(mapKey(key, scope), created);
      else this.#topics.set(topic, new Map([[mapKey(entry.key, entry.scope ?? ''), entry], [mapKey(key, scope), created]]));
      subscriber.group = created;
      return false;
    }
    if (group.members instanceof Set) group.members.add(subscriber);
    else if (group.members !== subscriber) group.members = new Set([group.members, subscriber]);
    subscriber.group = group;
    return false;
  }

  /** Removes the subscriber; resolves the topic when it has no subscriber left (stop listening). */
  remove(subscriber: Subscriber): string | undefined {
    const group = subscriber.group;
    if (group === undefined) return undefined;
    subscriber.group = undefined;
    if (group.members instanceof Set) {
      group.members.delete(subscriber);
      if (group.members.size > 0) return undefined;
    } else if (group.members !== subscriber) {
      return undefined;
    }
    const entry = this.#topics.get(group.topic);
    if (entry === undefined) return undefined;
    if (entry instanceof Map) {
      const at = mapKey(group.key, group.scope ?? '');
      if (entry.get(at) !== group) return undefined;
      entry.delete(at);
      if (entry.size > 0) return undefined;
    } else if (entry !== group) {
      return undefined;
    }
    this.#topics.delete(group.topic);
    return group.topic;
  }

  /** The topic's groups (one group, or a Map of them), or undefined when it has no subscriber. */
  groups(topic: string): TopicGroups | undefined {
    return this.#topics.get(topic);
  }

  topics(): IterableIterator<string> {
    return this.#topics.keys();
  }

  /** Every group of every topic (for the metrics gauges, read at scrape time). */
  *allGroups(): IterableIterator<Group> {
    for (const entry of this.#topics.values()) {
      if (entry instanceof Map) yield* entry.values();
      else yield entry;
    }
  }

  get topicCount(): number {
    return this.#topics.size;
  }
}

function newGroup(topic: string, key: string, spec: GroupSpec, subscriber: Subscriber): Group {
  return {
    document: spec.document,
    operationName: spec.operationName,
    variables: spec.variables,
    context: spec.context,
    resumable: spec.resumable,
    scope: spec.scope,
    topic,
    key,
    members: subscriber,
    leaf: undefined,
  };
}

/**
 * A group's key in its topic's Map (a topic with several groups only): key and scope.
 * Distinct for distinct pairs when keys, like the gateway's, hold a fixed number of NULs
 * (there: two; with a scope, four or more).
 */
function mapKey(key: string, scope: string): string {
  return scope === '' ? key : `${key}\u0000\u0000${scope}`;
}
