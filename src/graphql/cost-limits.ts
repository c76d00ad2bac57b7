/**
 * Validation rules bounding what one document may ask for, as graphql-armor
 * does: aliases, root fields, introspection fields (`__schema`, `__type`) and
 * fields in total, each counted over the whole document (every operation) with
 * fragments expanded where they are spread. Over a limit, the document is
 * refused with GRAPHQL_VALIDATION_FAILED and a message naming the limit, e.g.
 * "The document has 251 aliases; the limit is 30."
 *
 * As in execution (graphql-js's collectFields), a fragment spread again in the
 * same selection set adds nothing. Each fragment is counted once and its counts
 * reused at every spread (see depth-limit.ts): walking every spread anew would
 * be exponential in a document whose fragments each spread the next ones. The
 * counts may still grow exponentially there (fragments reached through two
 * others count twice: an overestimate), so additions saturate.
 */
import {
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

export interface CostLimits {
  /** Fields with an alias (`a: field`). */
  readonly maxAliases: number;
  /** Fields selected at the root of the operations (through fragments). */
  readonly maxRootFields: number;
  /** `__schema` and `__type` selections: each is a full walk of the schema. */
  readonly maxIntrospectionFields: number;
  /** Fields of every level, `__typename` included. */
  readonly maxFields: number;
}

interface Counts {
  aliases: number;
  /** Fields directly in this selection set (through inline fragments and spreads). */
  top: number;
  introspection: number;
  fields: number;
}

// Far above any limit and exact in a double: counts stop growing here.
const SATURATED = 2 ** 40;
const add = (a: number, b: number) => Math.min(a + b, SATURATED);
const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

/** What a document's operations add up to, each fragment counted once. */
export function documentCounts(document: DocumentNode): Omit<Counts, 'top'> & { rootFields: number } {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const measured = new Map<string, Counts>();
  const measuring = new Set<string>();
  const none: Counts = { aliases: 0, top: 0, introspection: 0, fields: 0 };

  function fragmentCounts(name: string): Counts {
    const known = measured.get(name);
    if (known !== undefined) return known;
    const fragment = fragments.get(name);
    // Unknown fragments and cycles are reported by the specified rules.
    if (fragment === undefined || measuring.has(name)) return none;
    measuring.add(name);
    const counts = countsOf(fragment.selectionSet);
    measuring.delete(name);
    measured.set(name, counts);
    return counts;
  }

  /** `spread`: the fragments already spread in this selection set (inline fragments share it). */
  function countsOf(set: SelectionSetNode | undefined, spread = new Set<string>()): Counts {
    const counts: Counts = { aliases: 0, top: 0, introspection: 0, fields: 0 };
    if (set === undefined) return counts;
    for (const selection of set.selections) {
      let inner: Counts;
      if (selection.kind === Kind.FIELD) {
        counts.top = add(counts.top, 1);
        counts.fields = add(counts.fields, 1);
        if (selection.alias !== undefined) counts.aliases = add(counts.aliases, 1);
        if (INTROSPECTION_FIELDS.has(selection.name.value)) counts.introspection = add(counts.introspection, 1);
        inner = countsOf(selection.selectionSet);
        // The child's fields are not this set's top-level fields.
        inner = { ...inner, top: 0 };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = countsOf(selection.selectionSet, spread);
      } else {
        if (spread.has(selection.name.value)) continue;
        spread.add(selection.name.value);
        inner = fragmentCounts(selection.name.value);
      }
      counts.aliases = add(counts.aliases, inner.aliases);
      counts.top = add(counts.top, inner.top);
      counts.introspection = add(counts.introspection, inner.introspection);
      counts.fields = add(counts.fields, inner.fields);
    }
    return counts;
  }

  const total = { aliases: 0, rootFields: 0, introspection: 0, fields: 0 };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const counts = countsOf(definition.selectionSet);
    total.aliases = add(total.aliases, counts.aliases);
    total.rootFields = add(total.rootFields, counts.top);
    total.introspection = add(total.introspection, counts.introspection);
    total.fields = add(total.fields, counts.fields);
  }
  return total;
}

const describe = (count: number) => (count >= SATURATED ? `more than ${SATURATED}` : String(count));

/**
 * One error per limit passed, computed from the document's definitions alone:
 * with no schema and none of `validate`'s typed walk (as costly as all the
 * specified rules together), so that it can run before them.
 */
export function costErrors(document: DocumentNode, limits: CostLimits): GraphQLError[] {
  const counts = documentCounts(document);
  const errors: GraphQLError[] = [];
  const check = (count: number, what: string, limit: number) => {
    if (count > limit) errors.push(new GraphQLError(`The document has ${describe(count)} ${what}; the limit is ${limit}.`, { nodes: document }));
  };
  check(counts.aliases, 'aliases', limits.maxAliases);
  check(counts.rootFields, 'root fields', limits.maxRootFields);
  check(counts.introspection, 'introspection fields (__schema, __type)', limits.maxIntrospectionFields);
  check(counts.fields, 'fields', limits.maxFields);
  return errors;
}

/** The validation rule: {@link costErrors} as part of `validate`. */
export function costLimits(limits: CostLimits): (context: ValidationContext) => ASTVisitor {
  return (context) => ({
    Document(node) {
      for (const error of costErrors(node, limits)) context.reportError(error);
      // Nothing below the document needs visiting for these counts.
      return false;
    },
  });
}
