/**
 * A validation rule: an operation may register or sign in once. Several
 * `accountsRegister`/`accountsLogin` fields in one operation (under aliases,
 * or both) would each run Argon2 and count as one request, so such a document
 * is refused before it runs (GRAPHQL_VALIDATION_FAILED), naming the limit.
 *
 * Root fields are counted by response key (alias or name), through inline
 * fragments and fragment spreads: graphql-js merges fields with the same key
 * (the specified rules make them the same field and arguments), so they run once.
 */
import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

export const SIGN_IN_FIELDS: ReadonlySet<string> = new Set(['accountsRegister', 'accountsLogin']);

/** The most sign-in fields an operation may have. */
export const MAX_SIGN_INS_PER_OPERATION = 1;

export function oneSignInPerOperation(context: ValidationContext): ASTVisitor {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of context.getDocument().definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }

  function collect(set: SelectionSetNode, keys: Set<string>, visited: Set<string>): void {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (SIGN_IN_FIELDS.has(selection.name.value)) keys.add(selection.alias?.value ?? selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet, keys, visited);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // Unknown fragments and cycles are reported by the specified rules.
        if (fragment === undefined || visited.has(name)) continue;
        visited.add(name);
        collect(fragment.selectionSet, keys, visited);
      }
    }
  }

  return {
    OperationDefinition(node: OperationDefinitionNode) {
      if (node.operation !== 'mutation') return;
      const keys = new Set<string>();
      collect(node.selectionSet, keys, new Set());
      if (keys.size > MAX_SIGN_INS_PER_OPERATION) {
        context.reportError(
          new GraphQLError(
            `An operation may register or sign in at most ${MAX_SIGN_INS_PER_OPERATION} time; this one has ${keys.size} accountsRegister/accountsLogin fields.`,
            { nodes: node },
          ),
        );
      }
    },
  };
}
