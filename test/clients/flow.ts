/**
 * The seed's flow with three real clients nobody here wrote, in their default
 * configurations (plus the documented recipe where a default cannot work):
 * graphql-ws's `createClient`, Apollo Client (`HttpLink` + `GraphQLWsLink`) and
 * urql (`fetchExchange` + `subscriptionExchange`). The same code runs in Node
 * (test/clients/node-clients.test.ts) and bundled into a page in Chromium
 * (test/browser/clients.test.ts); only the environment differs: in Node, a
 * `fetch` with a cookie jar and `ws` as the WebSocket.
 *
 * Each client: registers, fetches a single-use ticket for `connection_init` on
 * every connect, subscribes to `accountsUserCount`; the driver then restarts the
 * server and logs out, and reads what the client saw from {@link FlowState}.
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { Client as UrqlClient, fetchExchange, subscriptionExchange } from '@urql/core';
import { type Client as WsClient, type ClientOptions, createClient } from 'graphql-ws';

export type ClientName = 'graphql-ws' | 'apollo' | 'urql';
export const CLIENT_NAMES: readonly ClientName[] = ['graphql-ws', 'apollo', 'urql'];

export interface FlowEnv {
  /** http(s)://host/graphql */
  readonly httpUrl: string;
  /** ws(s)://host/graphql */
  readonly wsUrl: string;
  /** Node: a fetch with a cookie jar. Browser: undefined, so each client uses its default (window.fetch, same-origin cookies). */
  readonly fetch?: typeof fetch;
  /** Node: `ws`. Browser: undefined (the global WebSocket). */
  readonly webSocketImpl?: unknown;
}

/** What the client saw; plain data, so a browser page can hand it to the test. */
export interface FlowState {
  readonly values: number[];
  readonly closes: { code: number; reason: string }[];
  readonly errors: string[];
  connects: number;
  tickets: number;
  /** The subscription ended (error or complete) rather than reconnecting. */
  ended: boolean;
  /** Set by {@link Flow.anonymousError}: the error an anonymous subscription got. */
  anonymous?: string;
}

export interface Flow {
  readonly state: FlowState;
  register(email: string, password: string): Promise<void>;
  subscribe(): void;
  logout(): Promise<boolean>;
  dispose(): Promise<void>;
}

const REGISTER = 'mutation ($email: String!, $password: String!) { accountsRegister(email: $email, password: $password) { id } }';
const TICKET = '{ accountsMe { token } }';
const COUNT = 'subscription { accountsUserCount }';
const LOGOUT = 'mutation { accountsLogout }';

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'code' in error && 'reason' in error) {
    const { code, reason } = error as { code: number; reason: string };
    return `close ${code} ${reason}`;
  }
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

function newState(): FlowState {
  return { values: [], closes: [], errors: [], connects: 0, tickets: 0, ended: false };
}

/** graphql-ws's client with its defaults; the ticket comes from a plain JSON POST, as an app would do it. */
function wsClient(env: FlowEnv, state: FlowState, ticket: () => Promise<string | undefined>, extra: Partial<ClientOptions> = {}): WsClient {
  return createClient({
    url: env.wsUrl,
    ...(env.webSocketImpl === undefined ? {} : { webSocketImpl: env.webSocketImpl }),
    connectionParams: async () => {
      const token = await ticket();
      state.tickets++;
      return token === undefined ? {} : { token };
    },
    on: {
      connected: () => void state.connects++,
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        state.closes.push({ code, reason });
      },
    },
    ...extra,
  });
}

async function postJson(env: FlowEnv, query: string, variables?: Record<string, unknown>): Promise<any> {
  const response = await (env.fetch ?? fetch)(env.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors !== undefined) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

function count(state: FlowState, value: unknown): void {
  if (typeof value === 'number') state.values.push(value);
}

function graphqlWsFlow(env: FlowEnv, extra: Partial<ClientOptions> = {}): Flow {
  const state = newState();
  const client = wsClient(env, state, async () => (await postJson(env, TICKET)).accountsMe?.token ?? undefined, extra);
  let stop = () => {};
  return {
    state,
    register: async (email, password) => void (await postJson(env, REGISTER, { email, password })),
    subscribe() {
      stop = client.subscribe(
        { query: COUNT },
        {
          next: (result) => count(state, result.data?.['accountsUserCount']),
          error: (error) => {
            state.errors.push(describeError(error));
            state.ended = true;
          },
          complete: () => void (state.ended = true),
        },
      );
    },
    logout: async () => (await postJson(env, LOGOUT)).accountsLogout === true,
    dispose: async () => {
      stop();
      await Promise.resolve(client.dispose()).catch(() => {}); // rejects when the last connect was refused: nothing to close
    },
  };
}

/**
 * Apollo Client: HttpLink for queries and mutations, GraphQLWsLink for
 * subscriptions. Recipe: the ticket query runs with `fetchPolicy: 'network-only'`
 * (a ticket is single-use; the default cache-first would hand back a spent one).
 */
function apolloFlow(
  env: FlowEnv,
  ticketFetchPolicy: 'network-only' | 'cache-first' = 'network-only',
): Flow & { anonymousError(): Promise<string>; dropConnection(): void } {
  const state = newState();
  const http = new HttpLink({ uri: env.httpUrl, ...(env.fetch === undefined ? {} : { fetch: env.fetch }) });
  let apollo: ApolloClient | undefined;
  const ticket = async (): Promise<string | undefined> => {
    const result = await (apollo as ApolloClient).query<{ accountsMe: { token: string } | null }>({
      query: gql(TICKET),
      fetchPolicy: ticketFetchPolicy,
    });
    return result.data?.accountsMe?.token ?? undefined;
  };
  const ws = wsClient(env, state, ticket);
  const isSubscription = ({ query }: ApolloLink.Operation) => {
    const definition = getMainDefinition(query);
    return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
  };
  apollo = new ApolloClient({ link: ApolloLink.split(isSubscription, new GraphQLWsLink(ws), http), cache: new InMemoryCache() });
  let subscription: { unsubscribe(): void } | undefined;
  return {
    state,
    register: async (email, password) => {
      const result = await apollo.mutate({ mutation: gql(REGISTER), variables: { email, password } });
      if (result.error !== undefined) throw result.error;
    },
    subscribe() {
      subscription = apollo.subscribe<{ accountsUserCount: number }>({ query: gql(COUNT) }).subscribe({
        next: (result) => {
          if (result.error !== undefined) state.errors.push(describeError(result.error));
          count(state, result.data?.accountsUserCount);
        },
        error: (error) => {
          state.errors.push(describeError(error));
          state.ended = true;
        },
        complete: () => void (state.ended = true),
      });
    },
    logout: async () => (await apollo.mutate<{ accountsLogout: boolean }>({ mutation: gql(LOGOUT) })).data?.accountsLogout === true,
    /** Drops the socket on the client's side (graphql-ws's `terminate`, 4499): it reconnects, with a ticket. */
    dropConnection: () => ws.terminate(),
    /** An anonymous subscription: the server answers an `error` message (UNAUTHENTICATED), which GraphQLWsLink must turn into an error. */
    async anonymousError() {
      const anonymous = new ApolloClient({
        link: new GraphQLWsLink(
          createClient({ url: env.wsUrl, ...(env.webSocketImpl === undefined ? {} : { webSocketImpl: env.webSocketImpl }) }),
        ),
        cache: new InMemoryCache(),
      });
      const text = await new Promise<string>((resolve) => {
        const sub = anonymous.subscribe({ query: gql(COUNT) }).subscribe({
          next: (result) => {
            if (result.error !== undefined) {
              sub.unsubscribe();
              resolve(describeError(result.error));
            }
          },
          error: (error) => resolve(describeError(error)),
        });
      });
      anonymous.stop();
      state.anonymous = text;
      return text;
    },
    dispose: async () => {
      subscription?.unsubscribe();
      apollo.stop();
      await Promise.resolve(ws.dispose()).catch(() => {}); // rejects when the last connect was refused: nothing to close
    },
  };
}

/** urql: `fetchExchange` (queries as GET within the URL limit: its default) and `subscriptionExchange` over graphql-ws. */
function urqlFlow(env: FlowEnv): Flow {
  const state = newState();
  let urql: UrqlClient | undefined;
  const ticket = async (): Promise<string | undefined> => {
    const result = await (urql as UrqlClient).query<{ accountsMe: { token: string } | null }>(TICKET, {}).toPromise();
    if (result.error !== undefined) throw result.error;
    return result.data?.accountsMe?.token ?? undefined;
  };
  const ws = wsClient(env, state, ticket);
  urql = new UrqlClient({
    url: env.httpUrl,
    ...(env.fetch === undefined ? {} : { fetch: env.fetch }),
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
        },
      }),
    ],
  });
  const client = urql;
  let subscription: { unsubscribe(): void } | undefined;
  return {
    state,
    register: async (email, password) => {
      const result = await client.mutation(REGISTER, { email, password }).toPromise();
      if (result.error !== undefined) throw result.error;
    },
    subscribe() {
      subscription = client.subscription<{ accountsUserCount: number }>(COUNT, {}).subscribe((result) => {
        if (result.error !== undefined) {
          state.errors.push(describeError(result.error));
          state.ended = true;
        }
        count(state, result.data?.accountsUserCount);
      });
    },
    logout: async () => {
      const result = await client.mutation<{ accountsLogout: boolean }>(LOGOUT, {}).toPromise();
      return result.data?.accountsLogout === true;
    },
    dispose: async () => {
      subscription?.unsubscribe();
      await Promise.resolve(ws.dispose()).catch(() => {}); // rejects when the last connect was refused: nothing to close
    },
  };
}

export function createFlow(name: ClientName, env: FlowEnv): Flow {
  switch (name) {
    case 'graphql-ws':
      return graphqlWsFlow(env);
    case 'apollo':
      return apolloFlow(env);
    case 'urql':
      return urqlFlow(env);
  }
}

export { apolloFlow, graphqlWsFlow };
