/**
 * The resolver of a subscription field whose value is the published event itself.
 * The fan-out recognises it (by identity) and, for a selection of just that field
 * with a scalar or enum type, builds the result without graphql-js's `execute`
 * (gateway/fanout/leaf-result.ts): only mark fields with it that truly pass the event through.
 */
export function eventValue(event: unknown): unknown {
  return event;
}
