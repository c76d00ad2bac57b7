/**
 * `subscribe`: a query or mutation runs once and completes. A subscription on a
 * field declared for the fast path (`extensions.tessera`, topic-fields.ts) joins
 * the fan-out group of its (document, variables, scope) on its topic; any other
 * runs the standard way, through graphql-js `subscribe` with the subscriber's own
 * context and its own AsyncIterator (as graphql-ws runs it).
 */
import {
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  getArgumentValues,
  getVariableValues,
  type GraphQLError,
  type GraphQLField,
  type GraphQLFormattedError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  locatedError,
  type SelectionSetNode,
  subscribe as graphqlSubscribe,
} from 'graphql';
import { type PreparedDocument, selectOperation } from '../../graphql/document-cache.js';
import { ErrorCode } from '../../graphql/errors.js';
import { formatErrors } from '../../graphql/format-errors.js';
import { canonicalJson } from '../../graphql/introspection-cache.js';
import { responseTooLarge, runOperation } from '../../graphql/run-operation.js';
import { hasConditionalRootSelection } from '../../graphql/single-field-subscriptions.js';
import { type Connection, PENDING, type StreamOperation } from '../connection.js';
import type { Engine } from '../engine.js';
import type { Subscriber } from '../fanout/topic-registry.js';
import { flatString } from '../flat-string.js';
import { topicSpecOf } from '../topic-fields.js';
import { CloseCode, CloseReason } from '../protocol/close-codes.js';
import { completeFrame, errorFrame, nextFrame, nextPrefix } from '../protocol/frames.js';
import type { ClientMessage } from '../protocol/messages.js';

type Subscribe = Extract<ClientMessage, { type: 'subscribe' }>;

const clientError = (code: string, message: string): GraphQLFormattedError => ({ message, extensions: { code } });

/** The single root field of a subscription (validation guarantees there is exactly one). */
function rootField(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): FieldNode | undefined {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) return selection;
    const nested =
      selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments.get(selection.name.value)?.selectionSet;
    const found = nested === undefined ? undefined : rootField(nested, fragments);
    if (found !== undefined) return found;
  }
  return undefined;
}

const NO_VARIABLES: { readonly errors?: undefined; readonly coerced: Record<string, unknown> } = Object.freeze({ coerced: Object.freeze({}) });

interface RootSelection {
  readonly fieldNode: FieldNode;
  readonly fieldDef: GraphQLField<unknown, unknown>;
}

// A subscription's root field (or why it has none usable) depends only on the operation
// and the schema: found once per operation of a cached document, not on every subscribe.
const roots = new WeakMap<OperationDefinitionNode, { readonly schema: GraphQLSchema; readonly root: RootSelection | string }>();

/** The operation's root field and its definition, or the message refusing the operation. */
function rootOf(schema: GraphQLSchema, operation: OperationDefinitionNode, prepared: PreparedDocument): RootSelection | string {
  const known = roots.get(operation);
  if (known !== undefined && known.schema === schema) return known.root;
  const root = findRoot(schema, operation, prepared);
  roots.set(operation, { schema, root });
  return root;
}

function findRoot(schema: GraphQLSchema, operation: OperationDefinitionNode, prepared: PreparedDocument): RootSelection | string {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of prepared.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // Validation refuses these (single-field-subscriptions.ts); were one to pass, the topic
  // could come from a field that is not executed.
  if (hasConditionalRootSelection(operation.selectionSet, fragments)) return 'A subscription root field cannot be @skip or @include.';
  const fieldNode = rootField(operation.selectionSet, fragments);
  const fieldName = fieldNode?.name.value;
  const fieldDef = fieldName === undefined ? undefined : schema.getSubscriptionType()?.getFields()[fieldName];
  if (fieldNode === undefined || fieldDef === undefined) return 'The subscription selects no known field.';
  return { fieldNode, fieldDef: fieldDef as GraphQLField<unknown, unknown> };
}

export async function handleSubscribe(engine: Engine, connection: Connection, message: Subscribe): Promise<void> {
  const { id, payload } = message;
  if (connection.state !== 'ready') {
    connection.close(CloseCode.Unauthorized, CloseReason.unauthorized);
    return;
  }
  if (connection.operations.has(id)) {
    connection.close(CloseCode.SubscriberAlreadyExists, CloseReason.subscriberExists(id));
    return;
  }
  const limit = engine.limits.maxSubscriptionsPerConnection;
  if (connection.operations.size >= limit) {
    connection.send(
      errorFrame(id, [clientError(ErrorCode.SUBSCRIPTION_LIMIT, `This connection already runs ${limit} operations, the limit.`)]),
    );
    return;
  }
  const prepared = engine.documents.prepare(payload.query);
  if (!prepared.ok) {
    connection.send(errorFrame(id, formatErrors(prepared.errors, engine.log).errors));
    return;
  }
  const operation = selectOperation(prepared.prepared, payload.operationName);
  if (operation === undefined) {
    connection.send(errorFrame(id, [clientError(ErrorCode.BAD_REQUEST, 'Name one operation of the document in "operationName".')]));
    return;
  }
  if (operation.operation === 'subscription') {
    await subscribe(engine, connection, id, payload.variables ?? undefined, operation, prepared.prepared);
  } else {
    await runOnce(engine, connection, id, payload, operation, prepared.prepared);
  }
}

async function subscribe(
  engine: Engine,
  connection: Connection,
  id: string,
  variables: Record<string, unknown> | undefined,
  operation: OperationDefinitionNode,
  prepared: PreparedDocument,
): Promise<void> {
  const context = connection.context;
  // Without variable definitions graphql-js ignores any variables sent: nothing to coerce.
  const coerced =
    operation.variableDefinitions === undefined || operation.variableDefinitions.length === 0
      ? NO_VARIABLES
      : getVariableValues(engine.schema, operation.variableDefinitions, variables ?? {}, { maxErrors: 10 });
  if (coerced.errors !== undefined) {
    connection.send(errorFrame(id, formatErrors(coerced.errors, engine.log).errors));
    return;
  }
  const root = rootOf(engine.schema, operation, prepared);
  if (typeof root === 'string') {
    connection.send(errorFrame(id, [clientError(ErrorCode.BAD_REQUEST, root)]));
    return;
  }
  const { fieldNode, fieldDef } = root;
  const spec = topicSpecOf(fieldDef);
  if (spec === undefined) {
    await stream(engine, connection, id, variables, operation, prepared, context, fieldDef.name);
    return;
  }
  let topic: string;
  try {
    const args = fieldDef.args.length === 0 ? {} : getArgumentValues(fieldDef, fieldNode, coerced.coerced);
    topic = flatString(spec.topic(args, context));
  } catch (error) {
    // A GraphQLError is the app refusing (its message is shown); anything else is masked and logged.
    connection.send(errorFrame(id, formatErrors([locatedError(error, [fieldNode])], engine.log).errors));
    return;
  }
  // A shared-scope group runs with the context built for no session, never this subscriber's.
  let groupContext: unknown = context;
  if (spec.scope === 'global') {
    const shared = engine.sharedContext();
    if (shared instanceof Promise) {
      connection.operations.set(id, PENDING);
      try {
        groupContext = await shared;
      } catch (error) {
        if (connection.operations.get(id) === PENDING) connection.operations.delete(id);
        throw error;
      }
      // Completed by the client, or the socket closed, meanwhile: nothing to join.
      if (connection.operations.get(id) !== PENDING) return;
      connection.operations.delete(id);
    } else {
      groupContext = shared.value;
    }
  }
  const hold = holdDocument(engine, connection, id, prepared);
  if (hold === undefined) return;
  const shared = hold.prepared;
  // Subscribers with equal keys would execute to equal results: the fan-out runs them once.
  const scope = spec.scope === 'user' ? (connection.session?.userId ?? '') : '';
  const operationName = operation.name?.value;
  const key = sharedKey(`${shared.id}\u0000${operationName ?? ''}\u0000${canonicalJson(coerced.coerced)}`);
  const subscriber: Subscriber = { sink: connection, prefix: nextPrefix(id), group: undefined, document: hold };
  connection.operations.set(id, subscriber);
  engine.subscribe(
    topic,
    key,
    { document: shared.document, operationName, variables, context: groupContext, resumable: spec.resumable !== false, scope },
    subscriber,
  );
}

// The last group key made: the per-user case subscribes every user with the same document
// and variables, and each group keeps this one string rather than its own copy. One slot,
// so it holds at most one key beyond the groups'.
let lastKey = '';

/** `key` flat, or the equal string made last (see lastKey). */
function sharedKey(key: string): string {
  if (key === lastKey) return lastKey;
  lastKey = flatString(key);
  return lastKey;
}

/**
 * The document stays in memory while the subscription lives: shared by every
 * subscription of the same source, and counted against DOCUMENT_CACHE_BYTES.
 * Undefined (and the client told) when held documents fill the budget.
 */
function holdDocument(engine: Engine, connection: Connection, id: string, prepared: PreparedDocument) {
  const hold = engine.documents.hold(prepared);
  if (hold === undefined) {
    connection.send(
      errorFrame(id, [
        clientError(
          ErrorCode.DOCUMENT_CACHE_FULL,
          'The server holds as many subscription documents as it can (DOCUMENT_CACHE_BYTES): subscribe with a document already in use, or retry later.',
        ),
      ]),
    );
  }
  return hold;
}

/**
 * The standard way: graphql-js `subscribe` with this subscriber's own context; each
 * value of its AsyncIterator is executed and sent as a `next`, its end is `complete`.
 * `complete` from the client or the socket closing calls the iterator's `return()`.
 * A subscription that cannot start (the `subscribe` resolver threw or returned no
 * AsyncIterable) gets an `error` message, as graphql-ws sends; an iterator that throws
 * mid-stream gets one too (masked and logged), where graphql-ws would close the socket.
 */
async function stream(
  engine: Engine,
  connection: Connection,
  id: string,
  variables: Record<string, unknown> | undefined,
  operation: OperationDefinitionNode,
  prepared: PreparedDocument,
  contextValue: unknown,
  fieldName: string,
): Promise<void> {
  const hold = holdDocument(engine, connection, id, prepared);
  if (hold === undefined) return;
  connection.operations.set(id, PENDING);
  let result: Awaited<ReturnType<typeof graphqlSubscribe>>;
  try {
    result = await graphqlSubscribe({
      schema: engine.schema,
      document: hold.prepared.document,
      operationName: operation.name?.value ?? null,
      variableValues: variables ?? null,
      contextValue,
    });
  } catch (error) {
    hold.release();
    if (connection.operations.get(id) === PENDING) connection.operations.delete(id);
    throw error;
  }
  if (!(Symbol.asyncIterator in result)) {
    hold.release();
    if (connection.operations.get(id) !== PENDING) return;
    connection.operations.delete(id);
    connection.send(errorFrame(id, formatErrors((result.errors ?? []) as GraphQLError[], engine.log).errors));
    return;
  }
  const iterator = result[Symbol.asyncIterator]();
  let stopped = false;
  engine.countStream(fieldName, 1);
  const op: StreamOperation = {
    kind: 'stream',
    stop: () => {
      if (stopped) return;
      stopped = true;
      engine.countStream(fieldName, -1);
      hold.release();
      const returned = iterator.return?.();
      returned?.catch((error: unknown) => engine.log.warn({ err: error }, 'a subscription iterator failed to return'));
    },
  };
  // Completed by the client, or the socket closed, while it was starting: release it now.
  if (connection.operations.get(id) !== PENDING) {
    op.stop();
    return;
  }
  connection.operations.set(id, op);
  void pump(engine, connection, id, op, iterator);
}

async function pump(
  engine: Engine,
  connection: Connection,
  id: string,
  op: StreamOperation,
  iterator: AsyncIterator<ExecutionResult>,
): Promise<void> {
  const current = () => connection.operations.get(id) === op;
  try {
    for (;;) {
      const step = await iterator.next();
      if (!current()) return;
      if (step.done === true) {
        connection.operations.delete(id);
        op.stop();
        connection.send(completeFrame(id));
        return;
      }
      const value = step.value;
      const errors = value.errors === undefined ? undefined : formatErrors(value.errors as GraphQLError[], engine.log).errors;
      const body = errors === undefined ? value : { ...value, errors };
      // Each subscriber's result is its own: measured as a query's is, before it is serialized.
      const tooLarge = responseTooLarge(body, engine.limits.maxResponseBytes);
      connection.send(nextFrame(id, JSON.stringify(tooLarge === undefined ? body : { errors: [tooLarge] })));
    }
  } catch (error) {
    if (!current()) return;
    connection.operations.delete(id);
    op.stop();
    connection.send(errorFrame(id, formatErrors([locatedError(error, undefined)], engine.log).errors));
  }
}

async function runOnce(
  engine: Engine,
  connection: Connection,
  id: string,
  payload: Subscribe['payload'],
  operation: OperationDefinitionNode,
  prepared: PreparedDocument,
): Promise<void> {
  connection.operations.set(id, PENDING);
  let result: ExecutionResult;
  try {
    // The socket keeps its session without secrets (see forSocket): a query or
    // mutation runs with the session and user as the store has them now.
    const context = await engine.currentContext(connection);
    if (context === undefined) return; // the session ended meanwhile: the socket is closing
    const contextValue = context.value;
    result = await runOperation({
      schema: engine.schema,
      documents: engine.documents,
      prepared,
      operation,
      operationName: payload.operationName,
      variables: payload.variables,
      contextValue,
    });
  } catch (error) {
    if (connection.operations.get(id) === PENDING) connection.operations.delete(id);
    throw error;
  }
  // Completed by the client meanwhile, or the socket closed: send nothing.
  if (connection.operations.get(id) !== PENDING) return;
  connection.operations.delete(id);
  const errors = result.errors === undefined ? undefined : formatErrors(result.errors as GraphQLError[], engine.log).errors;
  if (result.data === undefined && errors !== undefined) {
    connection.send(errorFrame(id, errors));
    return;
  }
  const body = errors === undefined ? result : { ...result, errors };
  // Measured before it is serialized: a huge result never becomes a string, nor fills the socket's buffer.
  const tooLarge = responseTooLarge(body, engine.limits.maxResponseBytes);
  if (tooLarge !== undefined) {
    connection.send(errorFrame(id, [tooLarge]));
    return;
  }
  connection.send(nextFrame(id, JSON.stringify(body)));
  connection.send(completeFrame(id));
}
