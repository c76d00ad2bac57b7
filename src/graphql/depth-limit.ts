/**
 * A validation rule refusing documents nested deeper than a limit (fragments
 * included). Introspection (`__schema`, `__type`) is measured on its own, with
 * a limit that the standard introspection query of GraphiQL, Apollo Sandbox and
 * codegen tools passes, so those tools work whatever MAX_QUERY_DEPTH is.
 */
import {
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

/** The standard introspection query nests 13 deep (TypeRef's ofType chain); some tools add a few levels. */
export const INTROSPECTION_DEPTH_LIMIT = 20;

const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/** The validation rule: {@link depthErrors} as part of `validate`. */
export function depthLimit(limit: number): (context: ValidationContext) => ASTVisitor {
  return (context) => ({
    Document(node) {
      for (const error of depthErrors(node, limit)) context.reportError(error);
      return false;
    },
  });
}

/**
 * The errors of a document nested too deep, one per operation, computed from
 * its definitions alone: with no schema and none of `validate`'s typed walk,
 * which costs as much as all the specified rules together.
 */
export function depthErrors(document: DocumentNode, limit: number): GraphQLError[] {
  const errors: GraphQLError[] = [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // A fragment adds the same depth wherever it is spread, so each is measured
  // once: walking every spread anew is exponential in a document whose
  // fragments each spread the next one twice.
  const measured = new Map<string, { depth: number; introspectionTooDeep: boolean }>();
  const measuring = new Set<string>();
  // Set while walking when an introspection subtree passes its own limit.
  let introspectionTooDeep = false;

  function fragmentDepth(name: string): number {
    const known = measured.get(name);
    if (known !== undefined) {
      introspectionTooDeep ||= known.introspectionTooDeep;
      return known.depth;
    }
    const fragment = fragments.get(name);
    // Unknown fragments and cycles are reported by the specified rules.
    if (fragment === undefined || measuring.has(name)) return 0;
    const outer = introspectionTooDeep;
    introspectionTooDeep = false;
    measuring.add(name);
    const depth = depthOf(fragment.selectionSet);
    measuring.delete(name);
    measured.set(name, { depth, introspectionTooDeep });
    introspectionTooDeep ||= outer;
    return depth;
  }

  function fieldDepth(field: FieldNode): number {
    const depth = 1 + depthOf(field.selectionSet);
    if (!INTROSPECTION_ROOTS.has(field.name.value)) return depth;
    if (depth > INTROSPECTION_DEPTH_LIMIT) introspectionTooDeep = true;
    return 1;
  }

  /** How many fields deep the selection set goes; a leaf field counts 1. */
  function depthOf(set: SelectionSetNode | undefined): number {
    if (set === undefined) return 0;
    let deepest = 0;
    for (const selection of set.selections) {
      const depth =
        selection.kind === Kind.FIELD
          ? fieldDepth(selection)
          : selection.kind === Kind.INLINE_FRAGMENT
            ? depthOf(selection.selectionSet)
            : fragmentDepth(selection.name.value);
      if (depth > deepest) deepest = depth;
    }
    return deepest;
  }

  for (const node of document.definitions) {
    if (node.kind !== Kind.OPERATION_DEFINITION) continue;
    introspectionTooDeep = false;
    if (depthOf(node.selectionSet) > limit) {
      errors.push(new GraphQLError(`The document is nested deeper than the limit of ${limit}.`, { nodes: node }));
    }
    if (introspectionTooDeep) {
      errors.push(new GraphQLError(`The introspection is nested deeper than the limit of ${INTROSPECTION_DEPTH_LIMIT}.`, { nodes: node }));
    }
  }
  return errors;
}
