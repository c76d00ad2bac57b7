/**
 * Parses and validates each distinct document once. Entries are kept in
 * least-recently-used order up to a bound; each gets a small integer id, which
 * the fan-out uses to group subscribers of the same document.
 */
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  Kind,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { depthLimit } from './depth-limit.js';
import { oneSignInPerOperation } from './one-sign-in-rule.js';
import { ErrorCode } from './errors.js';

export interface PreparedDocument {
  readonly id: number;
  readonly document: DocumentNode;
  readonly operations: readonly OperationDefinitionNode[];
}

export type Prepared =
  | { readonly ok: true; readonly prepared: PreparedDocument }
  | { readonly ok: false; readonly errors: readonly GraphQLError[] };

export interface DocumentLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
  /** Parser token limit: stops pathological documents before validation. */
  readonly maxTokens: number;
}

const failure = (code: string, message: string): Prepared => ({
  ok: false,
  errors: [new GraphQLError(message, { extensions: { code } })],
});

export class DocumentCache {
  readonly #entries = new Map<string, Prepared>();
  readonly #rules;
  #nextId = 1;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: DocumentLimits,
    private readonly capacity = 1000,
  ) {
    this.#rules = [...specifiedRules, depthLimit(limits.maxDepth), oneSignInPerOperation];
  }

  prepare(source: string): Prepared {
    const cached = this.#entries.get(source);
    if (cached !== undefined) {
      this.#entries.delete(source);
      this.#entries.set(source, cached);
      return cached;
    }
    if (Buffer.byteLength(source) > this.limits.maxBytes) {
      // Not cached: caching oversized sources would let them fill memory.
      return failure(ErrorCode.GRAPHQL_VALIDATION_FAILED, `The document is larger than ${this.limits.maxBytes} bytes.`);
    }
    const prepared = this.#prepareUncached(source);
    if (this.#entries.size >= this.capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(source, prepared);
    return prepared;
  }

  #prepareUncached(source: string): Prepared {
    let document: DocumentNode;
    try {
      document = parse(source, { maxTokens: this.limits.maxTokens, noLocation: false });
    } catch (error) {
      const message = error instanceof GraphQLError ? error.message : 'The document does not parse.';
      return failure(ErrorCode.GRAPHQL_PARSE_FAILED, message);
    }
    const errors = validate(this.schema, document, this.#rules);
    if (errors.length > 0) {
      return {
        ok: false,
        errors: errors.map(
          (error) =>
            new GraphQLError(error.message, {
              nodes: error.nodes ?? null,
              extensions: { code: ErrorCode.GRAPHQL_VALIDATION_FAILED },
            }),
        ),
      };
    }
    const operations = document.definitions.filter(
      (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
    );
    return { ok: true, prepared: { id: this.#nextId++, document, operations } };
  }
}

/** The operation a request names, or its only one; undefined when that is ambiguous or missing. */
export function selectOperation(
  prepared: PreparedDocument,
  operationName: string | null | undefined,
): OperationDefinitionNode | undefined {
  if (operationName === null || operationName === undefined) {
    return prepared.operations.length === 1 ? prepared.operations[0] : undefined;
  }
  return prepared.operations.find((operation) => operation.name?.value === operationName);
}
