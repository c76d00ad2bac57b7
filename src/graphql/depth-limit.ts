/** A validation rule refusing documents nested deeper than a limit (fragments included). */
import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

export function depthLimit(limit: number): (context: ValidationContext) => ASTVisitor {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    // A fragment adds the same depth wherever it is spread, so each is measured
    // once: walking every spread anew is exponential in a document whose
    // fragments each spread the next one twice.
    const measured = new Map<string, number>();
    const measuring = new Set<string>();

    function fragmentDepth(name: string): number {
      const known = measured.get(name);
      if (known !== undefined) return known;
      const fragment = fragments.get(name);
      // Unknown fragments and cycles are reported by the specified rules.
      if (fragment === undefined || measuring.has(name)) return 0;
      measuring.add(name);
      const depth = depthOf(fragment.selectionSet);
      measuring.delete(name);
      measured.set(name, depth);
      return depth;
    }

    /** How many fields deep the selection set goes; a leaf field counts 1. */
    function depthOf(set: SelectionSetNode | undefined): number {
      if (set === undefined) return 0;
      let deepest = 0;
      for (const selection of set.selections) {
        const depth =
          selection.kind === Kind.FIELD
            ? 1 + depthOf(selection.selectionSet)
            : selection.kind === Kind.INLINE_FRAGMENT
              ? depthOf(selection.selectionSet)
              : fragmentDepth(selection.name.value);
        if (depth > deepest) deepest = depth;
      }
      return deepest;
    }

    return {
      OperationDefinition(node) {
        if (depthOf(node.selectionSet) > limit) {
          context.reportError(new GraphQLError(`The document is nested deeper than the limit of ${limit}.`, { nodes: node }));
        }
      },
    };
  };
}
