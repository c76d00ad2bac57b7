/**
 * graphql-js's SingleFieldSubscriptionsRule, with the newer spec's ban on
 * `@skip`/`@include` in a subscription's root selection
 * (https://spec.graphql.org/draft/#sec-Single-Root-Field, graphql-js 17).
 *
 * graphql 16's rule collects the root fields with no variable values, so
 * `subscription($s: Boolean!) { accountsUserCount @skip(if: $s) }` makes it
 * throw ("was provided the variable "$s" which was not provided a runtime
 * value") out of `validate`: a 500 over HTTP and a 4500 on the socket. And with
 * a literal `@skip(if: true)` on the first of two root fields it passes, and
 * the topic would be taken from a field that is not executed. Here a root
 * selection with either directive is a validation error, and the graphql-js rule
 * runs only on documents without them, where it cannot throw.
 */
import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  SingleFieldSubscriptionsRule,
  type ValidationContext,
} from 'graphql';

const CONDITIONAL = new Set(['skip', 'include']);

/** Whether a selection of the root level (through fragments) carries `@skip` or `@include`. */
export function hasConditionalRootSelection(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): boolean {
  for (const selection of selectionSet.selections) {
    if (selection.directives?.some((directive) => CONDITIONAL.has(directive.name.value))) return true;
    if (selection.kind === Kind.FIELD) continue;
    let nested: SelectionSetNode | undefined;
    if (selection.kind === Kind.INLINE_FRAGMENT) nested = selection.selectionSet;
    else if (!seen.has(selection.name.value)) {
      // Each fragment is looked into once: also ends cycles (reported by the specified rules).
      seen.add(selection.name.value);
      nested = fragments.get(selection.name.value)?.selectionSet;
    }
    if (nested !== undefined && hasConditionalRootSelection(nested, fragments, seen)) return true;
  }
  return false;
}

export function singleFieldSubscriptions(context: ValidationContext): ASTVisitor {
  const inner = SingleFieldSubscriptionsRule(context) as { OperationDefinition?: (node: OperationDefinitionNode) => void };
  let fragments: Map<string, FragmentDefinitionNode> | undefined;
  return {
    OperationDefinition(node) {
      if (node.operation !== 'subscription') return;
      if (fragments === undefined) {
        fragments = new Map();
        for (const definition of context.getDocument().definitions) {
          if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
        }
      }
      if (hasConditionalRootSelection(node.selectionSet, fragments)) {
        const name = node.name === undefined ? 'Anonymous Subscription' : `Subscription "${node.name.value}"`;
        context.reportError(
          new GraphQLError(`${name} must not use @skip or @include in its root selection: a subscription has exactly one root field.`, {
            nodes: node,
          }),
        );
        return;
      }
      inner.OperationDefinition?.(node);
    },
  };
}
