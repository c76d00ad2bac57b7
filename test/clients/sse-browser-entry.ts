/**
 * The SSE browser test's page script (bundled by test/browser/sse.test.ts, never
 * part of web/): graphql-sse's client with the browser's defaults (window.fetch,
 * same-origin cookies), in the mode named by `?mode=single|distinct`.
 */
import { createClient } from 'graphql-sse';

export interface SsePageState {
  values: number[];
  errors: { message: string; code: unknown }[];
  ended: string | undefined;
}

// `npm test` runs every file under dist/test in Node, this one too: there it does nothing.
if (typeof location !== 'undefined') {
  const single = new URLSearchParams(location.search).get('mode') === 'single';
  const url = `${location.origin}/graphql`;
  const state: SsePageState = { values: [], errors: [], ended: undefined };
  const post = async (query: string, variables?: Record<string, unknown>) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  };
  const client = createClient({ url, singleConnection: single, retryAttempts: 3 });
  (globalThis as { sse?: unknown }).sse = {
    state,
    register: async (email: string, password: string) =>
      post('mutation ($email: String!, $password: String!) { accountsRegister(email: $email, password: $password) { id } }', { email, password }),
    subscribe() {
      client.subscribe(
        { query: 'subscription { accountsUserCount }' },
        {
          next: (result) => {
            const value = result.data?.['accountsUserCount'];
            if (typeof value === 'number') state.values.push(value);
            for (const error of result.errors ?? []) state.errors.push({ message: error.message, code: error.extensions?.['code'] });
          },
          error: (error) => void (state.ended ??= `error: ${error instanceof Error ? error.message : String(error)}`),
          complete: () => void (state.ended ??= 'complete'),
        },
      );
    },
    logout: async () => (await post('mutation { accountsLogout }')).data?.['accountsLogout'] === true,
  };
}
