/**
 * Delivers one published event to every local subscriber of its topic:
 * executes the selection once per group (document, variables, scope),
 * serializes the payload once, and sends each subscriber its own id spliced
 * into that payload. Every peer (graphql-ws, Yoga, Mercurius) executes and
 * stringifies once per subscriber instead.
 */
import { execute, type ExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import { type ErrorLog, formatErrors } from '../../graphql/format-errors.js';
import { NextPayload } from './next-payload.js';
import type { Group, TopicRegistry } from './topic-registry.js';

export class Fanout {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly registry: TopicRegistry,
    private readonly log: ErrorLog,
  ) {}

  /** `message` is the event as published: JSON of the subscription field's value. */
  deliver(topic: string, message: string): void {
    const groups = this.registry.groups(topic);
    if (groups === undefined) return;
    let event: unknown;
    try {
      event = JSON.parse(message);
    } catch (error) {
      this.log.error({ err: error, topic }, 'dropped an event that is not JSON');
      return;
    }
    for (const group of groups) {
      const result = execute({
        schema: this.schema,
        document: group.document,
        rootValue: event,
        contextValue: group.context,
        variableValues: group.variables ?? null,
        operationName: group.operationName ?? null,
      });
      if (result instanceof Promise) {
        result.then(
          (settled: ExecutionResult) => this.#send(group, settled),
          (error: unknown) => this.log.error({ err: error, topic }, 'subscription execution failed'),
        );
      } else {
        this.#send(group, result);
      }
    }
  }

  #send(group: Group, result: ExecutionResult): void {
    const payload =
      result.errors === undefined
        ? JSON.stringify(result)
        : JSON.stringify({ ...result, errors: formatErrors(result.errors as GraphQLError[], this.log).errors });
    const next = new NextPayload(payload);
    // A send may close a slow consumer, removing it from the set; Set iteration allows that.
    for (const subscriber of group.subscribers) {
      const sink = subscriber.sink;
      if (sink.sendNext !== undefined) sink.sendNext(subscriber.prefix, next);
      else sink.sendFrame(subscriber.prefix + next.tail);
    }
  }
}
