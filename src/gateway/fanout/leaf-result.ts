/**
 * A fast path past graphql-js's `execute` for the commonest subscription, a
 * selection of exactly one root field whose value is the event (resolver
 * {@link eventValue}) and whose type is a scalar or an enum, such as
 * `subscription { accountsUserCount }`: the result is `{"data":{"<key>":<serialized event>}}`,
 * which is what `execute` returns for it, byte for byte, at a small part of its cost
 * (test/unit/gateway-leaf-result.test.ts compares the two).
 *
 * Anything else (arguments, directives, fragments, several fields, an object or
 * list type, another resolver) gets no plan and runs through `execute`; so does an
 * event the plan cannot serialize without an error (null for a non-null type, a
 * value the scalar refuses), so errors are graphql-js's own. Pure.
 */
import {
  type DocumentNode,
  getNamedType,
  getNullableType,
  getOperationAST,
  type GraphQLLeafType,
  type GraphQLSchema,
  isLeafType,
  isNonNullType,
} from 'graphql';
import { eventValue } from '../../graphql/event-value.js';

/** How to turn an event into the serialized result of one leaf root field. */
export interface LeafPlan {
  /** The field's response key (its alias or name). */
  readonly key: string;
  readonly type: GraphQLLeafType;
  readonly nonNull: boolean;
}

/** The plan for this operation of `document`, or undefined when it must go through `execute`. */
export function leafPlan(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): LeafPlan | undefined {
  const operation = getOperationAST(document, operationName);
  if (operation === null || operation === undefined || operation.operation !== 'subscription') return undefined;
  if ((operation.directives?.length ?? 0) > 0) return undefined;
  const selections = operation.selectionSet.selections;
  if (selections.length !== 1) return undefined;
  const field = selections[0]!;
  if (field.kind !== 'Field' || (field.directives?.length ?? 0) > 0 || (field.arguments?.length ?? 0) > 0) return undefined;
  if (field.selectionSet !== undefined) return undefined;
  const definition = schema.getSubscriptionType()?.getFields()[field.name.value];
  if (definition === undefined || definition.resolve !== eventValue) return undefined;
  // A field with arguments runs through execute even when none is given: their defaults might matter to it.
  if (definition.args.length > 0) return undefined;
  const nullable = getNullableType(definition.type);
  if (!isLeafType(nullable) || getNamedType(definition.type) !== nullable) return undefined;
  return { key: field.alias?.value ?? field.name.value, type: nullable, nonNull: isNonNullType(definition.type) };
}

/**
 * The JSON of `execute`'s result for `event` under `plan`, or undefined when `execute`
 * would report an error (let it: it formats the error).
 */
export function leafResultJson(plan: LeafPlan, event: unknown): string | undefined {
  let value: unknown = null;
  if (event === null || event === undefined) {
    if (plan.nonNull) return undefined;
  } else {
    try {
      value = plan.type.serialize(event);
    } catch {
      return undefined;
    }
    if (value === null || value === undefined) return undefined;
  }
  return JSON.stringify({ data: { [plan.key]: value } });
}
