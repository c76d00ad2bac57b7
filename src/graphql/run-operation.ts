/**
 * Runs a query or mutation of a prepared document, over HTTP and over the
 * socket alike: introspection-only queries are answered from memory after
 * their first run, and a result over MAX_RESPONSE_BYTES is caught before
 * anything serializes it.
 */
import { execute, type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { DocumentCache, PreparedDocument } from './document-cache.js';
import { ErrorCode } from './errors.js';
import { IntrospectionCache, isIntrospectionOnly } from './introspection-cache.js';
import { jsonSize } from './json-size.js';

export interface OperationRequest {
  readonly schema: GraphQLSchema;
  readonly documents: DocumentCache;
  readonly prepared: PreparedDocument;
  readonly operation: OperationDefinitionNode;
  readonly operationName: string | null | undefined;
  readonly variables: Record<string, unknown> | null | undefined;
  /** The app's context for this operation. */
  readonly contextValue: unknown;
}

export async function runOperation(request: OperationRequest): Promise<ExecutionResult> {
  const { documents, prepared, operation, operationName, variables } = request;
  const key = isIntrospectionOnly(operation, prepared) ? IntrospectionCache.key(prepared, operationName, variables) : undefined;
  if (key !== undefined) {
    const cached = documents.introspection.get(key);
    if (cached !== undefined) return cached;
  }
  const result = (await execute({
    schema: request.schema,
    document: prepared.document,
    operationName: operationName ?? null,
    variableValues: variables ?? null,
    contextValue: request.contextValue,
  })) as ExecutionResult;
  if (key !== undefined) documents.introspection.set(key, result);
  return result;
}

/**
 * The error to send instead of a response body whose JSON would pass
 * `maxBytes`; undefined when it fits. Walks the body with an early exit
 * (json-size.ts): no string of the body's size is ever built.
 */
export function responseTooLarge(body: unknown, maxBytes: number): GraphQLFormattedError | undefined {
  if (jsonSize(body, maxBytes) <= maxBytes) return undefined;
  return {
    message: `The result is larger than the limit of ${maxBytes} bytes (MAX_RESPONSE_BYTES): ask for fewer fields or items.`,
    extensions: { code: ErrorCode.RESPONSE_TOO_LARGE, maxBytes },
  };
}
