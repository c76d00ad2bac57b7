/**
 * `subscribe`: a query or mutation runs once and completes; a subscription
 * joins the fan-out group of its (document, variables, scope) on its topic.
 */
import {
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  getArgumentValues,
  getVariableValues,
  type GraphQLError,
  type GraphQLFormattedError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { type PreparedDocument, selectOperation } from '../../graphql/document-cache.js';
import { ClientError, ErrorCode } from '../../graphql/errors.js';
import { formatErrors } from '../../graphql/format-errors.js';
import { canonicalJson } from '../../graphql/introspection-cache.js';
import { responseTooLarge, runOperation } from '../../graphql/run-operation.js';
import { subscriptionFields } from '../../graphql/schema.js';
import { hasConditionalRootSelection } from '../../graphql/single-field-subscriptions.js';
import { type Connection, PENDING } from '../connection.js';
import type { Engine } from '../engine.js';
import type { Subscriber } from '../fanout/topic-registry.js';
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
    subscribe(engine, connection, id, payload.variables ?? undefined, operation, prepared.prepared);
  } else {
    await runOnce(engine, connection, id, payload, operation, prepared.prepared);
  }
}

function subscribe(
  engine: Engine,
  connection: Connection,
  id: string,
  variables: Record<string, unknown> | undefined,
  operation: OperationDefinitionNode,
  prepared: PreparedDocument,
): void {
  const context = connection.context;
  if (context === undefined) return;
  const coerced = getVariableValues(engine.schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 10 });
  if (coerced.errors !== undefined) {
    connection.send(errorFrame(id, formatErrors(coerced.errors, engine.log).errors));
    return;
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of prepared.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // Validation refuses these (single-field-subscriptions.ts); were one to pass, the topic
  // could come from a field that is not executed.
  if (hasConditionalRootSelection(operation.selectionSet, fragments)) {
    connection.send(errorFrame(id, [clientError(ErrorCode.BAD_REQUEST, 'A subscription root field cannot be @skip or @include.')]));
    return;
  }
  const fieldNode = rootField(operation.selectionSet, fragments);
  const fieldName = fieldNode?.name.value;
  const descriptor = fieldName === undefined ? undefined : subscriptionFields[fieldName];
  const fieldDef = fieldName === undefined ? undefined : engine.schema.getSubscriptionType()?.getFields()[fieldName];
  if (fieldNode === undefined || descriptor === undefined || fieldDef === undefined) {
    connection.send(errorFrame(id, [clientError(ErrorCode.BAD_REQUEST, 'The subscription selects no known field.')]));
    return;
  }
  let topic: string;
  try {
    topic = descriptor.topic(getArgumentValues(fieldDef, fieldNode, coerced.coerced), context);
  } catch (error) {
    if (!(error instanceof ClientError)) throw error;
    connection.send(errorFrame(id, [{ message: error.message, extensions: error.extensions }]));
    return;
  }
  // The document stays in memory while the subscription lives: shared by every
  // subscription of the same source, and counted against DOCUMENT_CACHE_BYTES.
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
    return;
  }
  const shared = hold.prepared;
  // Subscribers with equal keys would execute to equal results: the fan-out runs them once.
  const scope = descriptor.scope === 'user' ? (connection.auth?.user.id ?? '') : '';
  const operationName = operation.name?.value;
  const key = `${shared.id}\u0000${operationName ?? ''}\u0000${canonicalJson(coerced.coerced)}\u0000${scope}`;
  const subscriber: Subscriber = { sink: connection, prefix: nextPrefix(id), group: undefined, document: hold };
  connection.operations.set(id, subscriber);
  engine.subscribe(topic, key, { document: shared.document, operationName, variables, context }, subscriber);
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
    const contextValue = await engine.currentContext(connection);
    if (contextValue === undefined) return; // the session ended meanwhile: the socket is closing
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
