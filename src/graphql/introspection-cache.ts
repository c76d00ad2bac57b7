/**
 * Results of introspection-only operations, computed once and served from
 * memory: the schema never changes while the process runs, so a query whose
 * root fields are only `__schema`, `__type` and `__typename` has the same result
 * for the same (document, operation, variables), whoever asks. GraphiQL, Apollo
 * Sandbox and codegen tools send the same introspection query again and again;
 * each execution walks the whole schema (milliseconds of CPU on the loop).
 * Bounded in entries and bytes, least recently used out.
 */
import {
  type ExecutionResult,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { PreparedDocument } from './document-cache.js';
import { jsonSize } from './json-size.js';

const INTROSPECTION_ROOTS = new Set(['__schema', '__type', '__typename']);

/** Whether every root field of a query (through fragments) is `__schema`, `__type` or `__typename`. */
export function isIntrospectionOnly(operation: OperationDefinitionNode, prepared: PreparedDocument): boolean {
  if (operation.operation !== 'query') return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of prepared.document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const seen = new Set<string>();
  const only = (set: SelectionSetNode): boolean =>
    set.selections.every((selection) => {
      if (selection.kind === Kind.FIELD) return INTROSPECTION_ROOTS.has(selection.name.value);
      if (selection.kind === Kind.INLINE_FRAGMENT) return only(selection.selectionSet);
      if (seen.has(selection.name.value)) return true;
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      return fragment !== undefined && only(fragment.selectionSet);
    });
  return only(operation.selectionSet);
}

/** JSON with sorted keys, so that equal variables make equal keys. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export class IntrospectionCache {
  readonly #entries = new Map<string, { result: ExecutionResult; bytes: number }>();
  #bytes = 0;

  /** The bounds: the standard introspection result of Tessera's schema is about 30 KB. */
  constructor(
    readonly maxEntries = 64,
    readonly maxBytes = 4 * 1024 * 1024,
  ) {}

  /** The key of an operation run with some variables (the document id changes when it is prepared anew). */
  static key(prepared: PreparedDocument, operationName: string | null | undefined, variables: unknown): string {
    return `${prepared.id}\u0000${operationName ?? ''}\u0000${canonicalJson(variables ?? {})}`;
  }

  get(key: string): ExecutionResult | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.result;
  }

  /** Keeps a result without errors (errors, e.g. from variables, are cheap to make again). */
  set(key: string, result: ExecutionResult): void {
    if (result.errors !== undefined || this.#entries.has(key)) return;
    const bytes = jsonSize(result, this.maxBytes) + 2 * key.length;
    if (bytes > this.maxBytes) return;
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size < this.maxEntries && this.#bytes + bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
    this.#entries.set(key, { result, bytes });
    this.#bytes += bytes;
  }

  get size(): number {
    return this.#entries.size;
  }
}
