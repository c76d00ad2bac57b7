/**
 * Delivers one published event to every local subscriber of its topic:
 * executes the selection once per group (document, variables, scope),
 * serializes the payload once, and sends each subscriber its own id spliced
 * into that payload. A group selecting just a leaf field that is the event
 * skips `execute` (leaf-result.ts). Every peer (graphql-ws, Yoga, Mercurius) executes and
 * stringifies once per subscriber instead.
 */
import { type DocumentNode, execute, type ExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import { type ErrorLog, formatErrors } from '../../graphql/format-errors.js';
import { type Metrics, NO_METRICS } from '../../metrics/metrics.js';
import { type LeafPlan, leafPlan, leafResultJson } from './leaf-result.js';
import { NextPayload } from './next-payload.js';
import { decodeEventMessage } from '../../pubsub/event-message.js';
import type { Group, Subscriber, TopicRegistry } from './topic-registry.js';

export class Fanout {
  // A document's fast path, found once and shared by every group of that document: a per-user
  // group per socket would otherwise hold a plan object each. Unnamed operations only (a
  // document with several named operations is planned per group, as before).
  readonly #leafOf = new WeakMap<DocumentNode, LeafPlan | null>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly registry: TopicRegistry,
    private readonly log: ErrorLog,
    private readonly metrics: Metrics = NO_METRICS,
  ) {}

  /**
   * `message` is the event as published: JSON of the subscription field's value, after
   * `#<id>\n` when it was logged for SSE resumption (pubsub/event-message.ts).
   */
  deliver(topic: string, message: string): void {
    const groups = this.registry.groups(topic);
    if (groups === undefined) return;
    this.metrics.eventReceived();
    const { json, eventId } = decodeEventMessage(message);
    let event: unknown;
    try {
      event = JSON.parse(json);
    } catch (error) {
      this.log.error({ err: error, topic }, 'dropped an event that is not JSON');
      return;
    }
    if (groups instanceof Map) {
      for (const group of groups.values()) this.#deliverTo(group, topic, event, eventId);
    } else {
      this.#deliverTo(groups as Group, topic, event, eventId);
    }
  }

  /**
   * The payload JSON `group` gets for `event`, as the fan-out would send it: for a
   * resuming SSE stream, which replays logged events through its group's selection.
   */
  payloadFor(group: Group, event: unknown): string | Promise<string> {
    const leaf = (group.leaf ??= this.#planFor(group));
    const json = leaf === null ? undefined : leafResultJson(leaf, event);
    if (json !== undefined) return json;
    const result = execute({
      schema: this.schema,
      document: group.document,
      rootValue: event,
      contextValue: group.context,
      variableValues: group.variables ?? null,
      operationName: group.operationName ?? null,
    });
    return result instanceof Promise ? result.then((settled) => this.#payloadJson(settled)) : this.#payloadJson(result);
  }

  #planFor(group: Group): LeafPlan | null {
    if (group.operationName !== undefined) return leafPlan(this.schema, group.document, group.operationName) ?? null;
    let plan = this.#leafOf.get(group.document);
    if (plan === undefined) {
      plan = leafPlan(this.schema, group.document, undefined) ?? null;
      this.#leafOf.set(group.document, plan);
    }
    return plan;
  }

  #payloadJson(result: ExecutionResult): string {
    return result.errors === undefined
      ? JSON.stringify(result)
      : JSON.stringify({ ...result, errors: formatErrors(result.errors as GraphQLError[], this.log).errors });
  }

  #deliverTo(group: Group, topic: string, event: unknown, eventId: string | undefined): void {
    const id = group.resumable === false ? undefined : eventId;
    const payload = this.payloadFor(group, event);
    if (typeof payload === 'string') {
      this.#sendPayload(group, payload, id);
      return;
    }
    payload.then(
      (json) => this.#sendPayload(group, json, id),
      (error: unknown) => this.log.error({ err: error, topic }, 'subscription execution failed'),
    );
  }

  #sendPayload(group: Group, payload: string, eventId: string | undefined): void {
    const next = new NextPayload(payload, eventId);
    const members = group.members;
    if (!(members instanceof Set)) {
      sendTo(members, next);
      if (this.metrics.enabled) this.metrics.delivered(1, members.prefix.length + next.byteLength);
      return;
    }
    // Counted as sent to every member. A prefix is counted in characters: bytes for the ASCII ids clients use.
    let sent = 0;
    let prefixBytes = 0;
    // A send may close a slow consumer, removing it from the set; Set iteration allows that.
    for (const subscriber of members) {
      sendTo(subscriber, next);
      sent += 1;
      prefixBytes += subscriber.prefix.length;
    }
    if (this.metrics.enabled) this.metrics.delivered(sent, prefixBytes + sent * next.byteLength);
  }
}

function sendTo(subscriber: Subscriber, next: NextPayload): void {
  const sink = subscriber.sink;
  if (sink.sendNext !== undefined) sink.sendNext(subscriber.prefix, next);
  else sink.sendFrame(subscriber.prefix + next.tail);
}
