/**
 * Tessera's fast path, opted into per Subscription field: a field whose
 * `extensions.tessera` names a topic (from the arguments and the subscriber's
 * context, never from the client alone) and the scope its result depends on.
 * Events for it are published with `gateway.publish(topic, value)`, `value`
 * being the field's value, and every group of subscribers with the same
 * (document, variables, scope) is executed once per event.
 *
 * A field without it runs the standard way: its `subscribe` resolver returns
 * an AsyncIterable, driven by graphql-js `subscribe` per subscriber.
 */
import { type GraphQLField, type GraphQLSchema } from 'graphql';
import { eventValue } from '../graphql/event-value.js';

/**
 * Whom a fast-path field's result depends on. `global`: the same for every
 * subscriber, executed with the context built for no session (never one
 * subscriber's context); `user`: the same for all sockets of one user, executed
 * with the context of that user's first subscriber.
 */
export type TopicScope = 'global' | 'user';

export interface TopicSpec<TContext = any> {
  readonly scope: TopicScope;
  /**
   * The topic this subscriber listens on. Called with the field's coerced
   * arguments and the subscriber's own context; throw a GraphQLError to refuse
   * the subscription (it is sent to the client in an `error` message).
   */
  topic(args: Record<string, any>, context: TContext): string;
  /**
   * Whether this field's events carry their resumption id to SSE streams (an `id:` line,
   * so that a client reconnecting with `Last-Event-ID` gets what it missed). Default true;
   * set false for values the next event replaces anyway (per-user counters): those streams
   * get no `id:` and never resume. Events are logged only when published with an id.
   */
  readonly resumable?: boolean;
}

declare module 'graphql' {
  interface GraphQLFieldExtensions<_TSource, _TContext, _TArgs> {
    /** Tessera's fast path for this Subscription field (see tessera's `declareTopics`). */
    tessera?: TopicSpec<_TContext>;
  }
}

/** The fast-path declaration of a Subscription field, if it has one. */
export function topicSpecOf(field: GraphQLField<unknown, unknown>): TopicSpec | undefined {
  const spec = field.extensions?.tessera;
  return spec !== undefined && typeof spec.topic === 'function' ? spec : undefined;
}

/**
 * Declares fast-path topics on the Subscription fields of a schema built from
 * SDL (where `extensions` cannot be written): `declareTopics(schema, { fieldName: { topic, scope } })`.
 * Throws for a field the Subscription type does not have. Returns the schema.
 */
export function declareTopics<TContext = any>(
  schema: GraphQLSchema,
  specs: Readonly<Record<string, TopicSpec<TContext>>>,
): GraphQLSchema {
  const fields = schema.getSubscriptionType()?.getFields() ?? {};
  for (const [name, spec] of Object.entries(specs)) {
    const field = fields[name];
    if (field === undefined) throw new Error(`declareTopics: the schema has no field Subscription.${name}`);
    if (spec.scope !== 'global' && spec.scope !== 'user') throw new Error(`declareTopics: Subscription.${name} needs scope 'global' or 'user'`);
    field.extensions = { ...field.extensions, tessera: spec };
  }
  return schema;
}

/**
 * A fast-path field's value is the published event: a field declared without a
 * resolver gets the pass-through one (which the fan-out recognises and skips
 * `execute` for, when a scalar field is selected alone).
 */
export function passEventsThrough(schema: GraphQLSchema): void {
  for (const field of Object.values(schema.getSubscriptionType()?.getFields() ?? {})) {
    if (topicSpecOf(field) !== undefined && field.resolve === undefined) field.resolve = eventValue;
  }
}
