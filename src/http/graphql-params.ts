/** Reads the GraphQL-over-HTTP request parameters from a POST body or GET query string. */
export interface GraphQLParams {
  readonly query: string;
  readonly variables: Record<string, unknown> | undefined;
  readonly operationName: string | undefined;
}

export type ParamsResult = { readonly ok: true; readonly params: GraphQLParams } | { readonly ok: false; readonly message: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function fromFields(query: unknown, variables: unknown, operationName: unknown): ParamsResult {
  if (typeof query !== 'string' || query.trim() === '') {
    return { ok: false, message: "The request needs a 'query' string." };
  }
  if (variables !== undefined && variables !== null && !isObject(variables)) {
    return { ok: false, message: "'variables' must be an object." };
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    return { ok: false, message: "'operationName' must be a string." };
  }
  return {
    ok: true,
    params: {
      query,
      variables: isObject(variables) ? variables : undefined,
      operationName: typeof operationName === 'string' ? operationName : undefined,
    },
  };
}

export function paramsFromBody(body: unknown): ParamsResult {
  if (!isObject(body)) return { ok: false, message: 'The request body must be a JSON object.' };
  return fromFields(body['query'], body['variables'], body['operationName']);
}

export function paramsFromQueryString(query: Record<string, unknown>): ParamsResult {
  let variables: unknown;
  const raw = query['variables'];
  if (typeof raw === 'string' && raw !== '') {
    try {
      variables = JSON.parse(raw);
    } catch {
      return { ok: false, message: "'variables' is not valid JSON." };
    }
  } else if (raw !== undefined && raw !== '') {
    return { ok: false, message: "'variables' must be given once, as JSON." };
  }
  return fromFields(query['query'], variables, query['operationName'] === '' ? undefined : query['operationName']);
}
