/** Where a page served by Tessera talks to: the same origin, over HTTP and the WebSocket. */

/** The GraphQL HTTP endpoint of the page's own origin. */
export function graphqlHttpUrl(location: Location = window.location): string {
  return new URL('/graphql', location.href).href;
}

/** The WebSocket endpoint of the page's own origin (ws: for http:, wss: for https:). */
export function graphqlWsUrl(location: Location = window.location): string {
  const url = new URL('/graphql', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

export interface GraphQLError {
  readonly message: string;
  readonly extensions?: { readonly code?: string; readonly field?: string };
}

export interface GraphQLResponse<Data> {
  readonly data?: Data | null;
  readonly errors?: readonly GraphQLError[];
}

/**
 * POSTs an operation as JSON to the page's own origin, with the session
 * cookie (`credentials: 'same-origin'`); JSON is also what lets it past
 * Tessera's CSRF check.
 */
export async function postGraphQL<Data>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<Data>> {
  const response = await fetch(graphqlHttpUrl(), {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify(variables === undefined ? { query } : { query, variables }),
  });
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('json')) throw new Error(`The server answered HTTP ${response.status}.`);
  return (await response.json()) as GraphQLResponse<Data>;
}
