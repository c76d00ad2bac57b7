/** A validation rule refusing documents nested deeper than a limit (fragments included). */
import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

function depthOf(
  set: SelectionSetNode | undefined,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visiting: Set<string>,
  limit: number,
  depth: number,
): number {
  if (set === undefined || depth > limit) return depth;
  let deepest = depth;
  for (const selection of set.selections) {
    let next = depth;
    if (selection.kind === Kind.FIELD) {
      next = depthOf(selection.selectionSet, fragments, visiting, limit, depth + 1);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      next = depthOf(selection.selectionSet, fragments, visiting, limit, depth);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (fragment !== undefined && !visiting.has(name)) {
        visiting.add(name);
        next = depthOf(fragment.selectionSet, fragments, visiting, limit, depth);
        visiting.delete(name);
      }
    }
    if (next > deepest) deepest = next;
    if (deepest > limit) break;
  }
  return deepest;
}

export function depthLimit(limit: number): (context: ValidationContext) => ASTVisitor {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, fragments, new Set(), limit, 0);
        if (depth > limit) {
          context.reportError(new GraphQLError(`The document is nested deeper than the limit of ${limit}.`, { nodes: node }));
        }
      },
    };
  };
}
