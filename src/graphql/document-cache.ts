/**
 * Parses and validates each distinct document once, and holds what it made
 * within a budget of bytes (DOCUMENT_CACHE_BYTES), least recently used first
 * out. Each prepared document gets a small integer id, which the fan-out uses
 * to group subscribers of the same document.
 *
 * Documents of live subscriptions are *held*: the same source gives the same
 * PreparedDocument, shared by every subscription using it and reference
 * counted. A held document is never evicted but counts against the budget, so
 * the documents of every subscription together never take more than it; when
 * held documents fill it, a subscription with a new document is refused
 * (DOCUMENT_CACHE_FULL) until some end. The documents kept have no locations
 * (a third of the memory); errors keep their line and column.
 */
import {
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  Kind,
  parse,
  SingleFieldSubscriptionsRule,
  Source,
  specifiedRules,
  validate,
  type ValidationRule,
} from 'graphql';
import { costErrors, type CostLimits } from './cost-limits.js';
import { depthErrors } from './depth-limit.js';
import { ErrorCode } from './errors.js';
import { IntrospectionCache } from './introspection-cache.js';
import { singleFieldSubscriptions } from './single-field-subscriptions.js';

export interface PreparedDocument {
  readonly id: number;
  readonly document: DocumentNode;
  readonly operations: readonly OperationDefinitionNode[];
  /** The text it was parsed from: its key in the cache. */
  readonly source: string;
  /** What it is estimated to take in memory, key included (see {@link estimateBytes}). */
  readonly bytes: number;
}

export type Prepared =
  | { readonly ok: true; readonly prepared: PreparedDocument }
  | { readonly ok: false; readonly errors: readonly GraphQLError[] };

export interface DocumentLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
  /** Parser token limit: stops pathological documents before validation. */
  readonly maxTokens: number;
  /** Aliases, root fields, introspection fields, fields: {@link DEFAULT_COST_LIMITS} when not given. */
  readonly cost?: CostLimits;
  /** The cache's budget in bytes, held documents included: {@link DEFAULT_CACHE_BYTES} when not given. */
  readonly cacheBytes?: number;
  /** Validation rules of the app's own, run after graphql-js's specified rules and Tessera's; none by default. */
  readonly rules?: readonly ValidationRule[];
}

/** The defaults of MAX_ALIASES, MAX_ROOT_FIELDS, MAX_INTROSPECTION_FIELDS and MAX_FIELDS. */
export const DEFAULT_COST_LIMITS: CostLimits = { maxAliases: 30, maxRootFields: 20, maxIntrospectionFields: 3, maxFields: 300 };
/** The default of DOCUMENT_CACHE_BYTES. */
export const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Bytes of heap per lexical token of a document parsed with `noLocation`.
 * Measured on Node 20 / graphql 16.15 (heap retained by 300 parsed documents
 * of each shape, after gc, minus the source strings): 50–75 bytes per token for
 * arguments, lists, variables and spreads, 90 for aliases, 140 for the standard
 * introspection query, 150 for `a@b` directives and 210 for bare fields
 * (`{ a0 a1 … }`, two nodes per token), the worst shape. With locations kept
 * the same documents took 2.4–3× more.
 */
export const BYTES_PER_TOKEN = 220;
/** The entry, the Map slot, the PreparedDocument and its operations array. */
const ENTRY_OVERHEAD = 400;

/** What a parsed document and its cache entry take, estimated from its token count and source length. */
export function estimateBytes(tokens: number, sourceLength: number): number {
  // The key is the source string: up to 2 bytes per character (two-byte strings).
  return tokens * BYTES_PER_TOKEN + 2 * sourceLength + ENTRY_OVERHEAD;
}

interface Entry {
  readonly source: string;
  readonly result: Prepared;
  readonly bytes: number;
  /** Live subscriptions holding it; while above 0 it is in `#held`, not in `#unheld`. */
  holds: number;
  /** The one handle every hold on it gets: a subscription costs no allocation here. */
  handle?: DocumentHold;
}

/** A hold on a shared document, the same object for every hold on it: `release` exactly once per hold. */
export interface DocumentHold {
  /** The shared document: use it rather than the one passed to {@link DocumentCache.hold}. */
  readonly prepared: PreparedDocument;
  release(): void;
}

const failure = (code: string, message: string): Prepared => ({
  ok: false,
  errors: [new GraphQLError(message, { extensions: { code } })],
});

export class DocumentCache {
  /** Entries no subscription holds, least recently used first. */
  readonly #unheld = new Map<string, Entry>();
  readonly #held = new Map<string, Entry>();
  #bytes = 0;
  #heldBytes = 0;
  readonly #budget: number;
  readonly #cost: CostLimits;
  readonly #rules: readonly ValidationRule[];
  #nextId = 1;
  /** Results of introspection-only operations (the schema never changes). */
  readonly introspection = new IntrospectionCache();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: DocumentLimits,
  ) {
    this.#budget = limits.cacheBytes ?? DEFAULT_CACHE_BYTES;
    this.#cost = limits.cost ?? DEFAULT_COST_LIMITS;
    // One rule a line.
    this.#rules = [
      ...specifiedRules.filter((rule) => rule !== SingleFieldSubscriptionsRule),
      singleFieldSubscriptions,
      ...(limits.rules ?? []),
    ];
  }

  /** Bytes the cache holds, held documents included; never above the budget. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes of the documents live subscriptions hold. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Distinct documents cached (held or not). */
  get size(): number {
    return this.#unheld.size + this.#held.size;
  }

  prepare(source: string): Prepared {
    const held = this.#held.get(source);
    if (held !== undefined) return held.result;
    const cached = this.#unheld.get(source);
    if (cached !== undefined) {
      this.#unheld.delete(source);
      this.#unheld.set(source, cached);
      return cached.result;
    }
    if (Buffer.byteLength(source) > this.limits.maxBytes) {
      // Not cached: caching oversized sources would let them fill memory.
      return failure(ErrorCode.GRAPHQL_VALIDATION_FAILED, `The document is larger than ${this.limits.maxBytes} bytes.`);
    }
    const entry = this.#prepareUncached(source);
    // Kept only if it fits beside the held documents; it is answered either way.
    if (this.#heldBytes + entry.bytes <= this.#budget) {
      this.#makeRoom(entry.bytes);
      this.#unheld.set(source, entry);
      this.#bytes += entry.bytes;
    }
    return entry.result;
  }

  /**
   * Holds a prepared document for a live subscription: the same source always
   * gives the same shared PreparedDocument. Undefined when the documents held
   * already fill the budget and this one is not among them.
   */
  hold(prepared: PreparedDocument): DocumentHold | undefined {
    const source = prepared.source;
    let entry = this.#held.get(source);
    if (entry === undefined) {
      entry = this.#unheld.get(source);
      if (entry !== undefined && entry.result.ok) {
        this.#unheld.delete(source);
      } else {
        // Evicted since it was prepared, or never kept: it must fit now.
        if (this.#heldBytes + prepared.bytes > this.#budget) return undefined;
        if (entry !== undefined) this.#drop(source, entry);
        entry = { source, result: { ok: true, prepared }, bytes: prepared.bytes, holds: 0 };
        this.#makeRoom(entry.bytes);
        this.#bytes += entry.bytes;
      }
      this.#held.set(source, entry);
      this.#heldBytes += entry.bytes;
    }
    entry.holds++;
    return (entry.handle ??= this.#handle(entry));
  }

  #handle(entry: Entry): DocumentHold {
    return {
      prepared: (entry.result as { prepared: PreparedDocument }).prepared,
      release: () => {
        // Released more often than held would be a bug; counts never go below zero, the process never throws here.
        if (entry.holds <= 0) return;
        if (--entry.holds > 0) return;
        this.#held.delete(entry.source);
        this.#heldBytes -= entry.bytes;
        // Most recently used: a subscription that just ended may well be made again.
        this.#unheld.set(entry.source, entry);
      },
    };
  }

  /** Evicts unheld entries, least recently used first, until `bytes` more fit (or none is left). */
  #makeRoom(bytes: number): void {
    for (const [source, entry] of this.#unheld) {
      if (this.#bytes + bytes <= this.#budget) return;
      this.#drop(source, entry);
    }
  }

  #drop(source: string, entry: Entry): void {
    this.#unheld.delete(source);
    this.#bytes -= entry.bytes;
  }

  #prepareUncached(source: string): Entry {
    let document: DocumentNode;
    try {
      // Kept without locations (a third of the memory).
      document = parse(source, { maxTokens: this.limits.maxTokens, noLocation: true });
    } catch (error) {
      const message = error instanceof GraphQLError ? error.message : 'The document does not parse.';
      const positions = error instanceof GraphQLError ? error.positions : undefined;
      return this.#failed(source, [this.#error(source, message, ErrorCode.GRAPHQL_PARSE_FAILED, positions)]);
    }
    const errors = this.#check(document);
    if (errors.length > 0) {
      // Only a failing document is parsed again, with locations, so that its errors point into it.
      const located = parse(source, { maxTokens: this.limits.maxTokens });
      return this.#failed(
        source,
        this.#check(located).map((error) =>
          this.#error(
            source,
            error.message,
            ErrorCode.GRAPHQL_VALIDATION_FAILED,
            error.nodes?.flatMap((node) => (node.loc === undefined ? [] : [node.loc.start])),
          ),
        ),
      );
    }
    const operations = document.definitions.filter(
      (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
    );
    const tokens = (document as { tokenCount?: number }).tokenCount ?? Math.ceil(source.length / 2);
    const bytes = estimateBytes(tokens, source.length);
    return { source, result: { ok: true, prepared: { id: this.#nextId++, document, operations, source, bytes } }, bytes, holds: 0 };
  }

  /**
   * The limits first: linear in the document, and without validate's typed walk. A
   * document over one never reaches the specified rules, one of which (overlapping
   * fields) is quadratic in fields.
   */
  #check(document: DocumentNode): readonly GraphQLError[] {
    const limitErrors = [...depthErrors(document, this.limits.maxDepth), ...costErrors(document, this.#cost)];
    return limitErrors.length > 0 ? limitErrors : validate(this.schema, document, this.#rules);
  }

  /** An error that keeps positions in the source, not AST nodes: a cached error holds no AST. */
  #error(source: string, message: string, code: string, positions: readonly number[] | undefined): GraphQLError {
    return new GraphQLError(message, {
      ...(positions !== undefined && positions.length > 0 ? { source: new Source(source), positions } : {}),
      extensions: { code },
    });
  }

  #failed(source: string, errors: GraphQLError[]): Entry {
    // The errors hold their messages and a few locations; the source is the key.
    let bytes = 2 * source.length + ENTRY_OVERHEAD;
    for (const error of errors) bytes += 2 * error.message.length + 300;
    return { source, result: { ok: false, errors }, bytes, holds: 0 };
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
