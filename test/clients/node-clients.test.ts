/**
 * Issue 12, "Clients with their defaults", in Node: graphql-ws, Apollo Client
 * and urql run the seed's flow against a real Tessera: register, a fresh
 * ticket per connect, accountsUserCount values, a server restart ridden out,
 * and logout ending the subscription for good (4401, no anonymous reconnect).
 * Then the reconnect semantics a default graphql-ws client gets: a quick
 * restart is retried, a longer outage (refused TCP connections) is fatal for
 * it, and the `shouldRetry` recipe (and the client helper) ride it out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { createTesseraClient } from '../../src/client/tessera-client.js';
import { HttpClient, uniqueEmail } from '../helpers/http-client.js';
import { RestartableServer } from '../helpers/restartable-server.js';
import { apolloFlow, CLIENT_NAMES, createFlow, type Flow, type FlowEnv, graphqlWsFlow } from './flow.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Node's environment for a flow: a cookie jar behind fetch (recording methods), `ws` as the WebSocket. */
function nodeEnv(server: RestartableServer): FlowEnv & { methods: string[] } {
  const jar = new HttpClient(server.url);
  const methods: string[] = [];
  const cookieFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    methods.push(`${init?.method ?? 'GET'} ${new URL(url).search === '' ? '' : 'with-query'}`.trim());
    return jar.request(url, init);
  }) as typeof fetch;
  return { httpUrl: `${server.url}/graphql`, wsUrl: `ws://127.0.0.1:${server.port}/graphql`, fetch: cookieFetch, webSocketImpl: WebSocket, methods };
}

/** Runs the flow; the restart must be quick enough for graphql-ws's first retry (>= 1.3 s after the 1001). */
async function runFlow(flow: Flow, server: RestartableServer): Promise<void> {
  const { state } = flow;
  await flow.register(uniqueEmail(), 'correct horse battery');
  flow.subscribe();
  await until('two accountsUserCount values', () => state.values.length >= 2);
  assert.equal(state.connects, 1);
  assert.equal(state.tickets, 1);
  for (const value of state.values) assert.ok(Number.isInteger(value) && value >= 1 && value <= 10, `1..10: ${value}`);

  const outage = await server.restart();
  const before = state.values.length;
  await until('a reconnect after the restart', () => state.connects === 2, 20_000);
  await until('values after the restart', () => state.values.length >= before + 2);
  assert.deepEqual(state.closes[0], { code: 1001, reason: 'server shutting down' }, `the port was closed ${outage} ms`);
  assert.equal(state.tickets, 2, 'a fresh ticket for the new connection');

  assert.equal(await flow.logout(), true);
  await until('the close after logout', () => state.closes.length >= 2);
  assert.deepEqual(state.closes[1], { code: 4401, reason: 'session ended' });
  await until('the subscription to end', () => state.ended);
  // Ended, not retrying: graphql-ws calls the sink's error only for a close it will not retry (a retried
  // close is silent). A little longer, in case something reconnected all the same.
  await sleep(1500);
  assert.equal(state.connects, 2, 'no anonymous reconnect after logout');
  assert.equal(state.tickets, 2, 'no ticket asked for after logout');
  assert.deepEqual(state.closes.length, 2);
}

describe('the seed’s flow with real clients in their default configurations (Node)', () => {
  let server: RestartableServer;
  before(async () => {
    server = await RestartableServer.start();
  });
  after(() => server?.close());

  for (const name of CLIENT_NAMES) {
    test(`${name}: register, ticket, accountsUserCount, restart → recovered, logout → 4401 and no reconnect`, async () => {
      // Apollo recipe, in Node: GraphQLWsLink reads the global WebSocket when the server sends an `error`
      // message or a connection fails (Node 20 has none), so set it. Not needed in browsers or Node 22.
      if (name === 'apollo') (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
      const env = nodeEnv(server);
      const flow = createFlow(name, env);
      try {
        await runFlow(flow, server);
        if (name === 'urql') {
          assert.ok(env.methods.includes('GET with-query'), `urql sent its ticket query as a plain GET (its default): ${env.methods}`);
        }
      } finally {
        await flow.dispose();
      }
    });
  }

  test('apollo (recipe, Node): with globalThis.WebSocket set, an `error` message arrives as an error (UNAUTHENTICATED), not a ReferenceError', async () => {
    (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
    const flow = apolloFlow(nodeEnv(server));
    try {
      const text = await flow.anonymousError();
      assert.match(text, /signed in/i);
      assert.doesNotMatch(text, /WebSocket is not defined/);
    } finally {
      await flow.dispose();
    }
  });
});

describe('why the Apollo recipe says network-only', () => {
  let server: RestartableServer;
  before(async () => {
    server = await RestartableServer.start();
  });
  after(() => server?.close());

  test('with the default cache-first, a reconnect sends the spent ticket again: 4403 ticket already used', async () => {
    (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
    const flow = apolloFlow(nodeEnv(server), 'cache-first');
    try {
      await flow.register(uniqueEmail(), 'correct horse battery');
      flow.subscribe();
      await until('a value', () => flow.state.values.length >= 1);
      // A reconnect to the same server (a restart would forget the ticket with the in-memory replay guard).
      flow.dropConnection();
      await until('the refused reconnect', () => flow.state.closes.length >= 2, 20_000);
      assert.deepEqual(flow.state.closes[0]?.code, 4499);
      assert.deepEqual(flow.state.closes[1], { code: 4403, reason: 'ticket already used' });
      assert.equal(flow.state.connects, 1, 'not connected again');
    } finally {
      await flow.dispose();
    }
  });
});

describe('reconnect semantics of graphql-ws clients over a longer outage (refused TCP connections)', () => {
  let server: RestartableServer;
  before(async () => {
    server = await RestartableServer.start();
  });
  after(() => server?.close());

  async function subscribed(flow: Flow): Promise<void> {
    await flow.register(uniqueEmail(), 'correct horse battery');
    flow.subscribe();
    await until('a value', () => flow.state.values.length >= 1);
  }

  test('a default graphql-ws client gives up when the port is closed at its retry (why the recipe exists)', async () => {
    const flow = graphqlWsFlow(nodeEnv(server));
    try {
      await subscribed(flow);
      await server.restart(5000); // past the default first retry (1.3 s to 4 s): the retry finds the port closed
      await until('the subscription to fail', () => flow.state.ended, 10_000);
      await sleep(1000);
      assert.equal(flow.state.connects, 1, 'it never came back');
      assert.ok(flow.state.errors.length >= 1);
    } finally {
      await flow.dispose();
    }
  });

  test('the recipe, `shouldRetry: () => true` with retryAttempts, rides out the same outage', async () => {
    const flow = graphqlWsFlow(nodeEnv(server), {
      shouldRetry: () => true,
      retryAttempts: 30,
      retryWait: async () => void (await sleep(500 + Math.random() * 500)),
    });
    try {
      await subscribed(flow);
      await server.restart(3000);
      await until('a reconnect', () => flow.state.connects === 2, 20_000);
      const before = flow.state.values.length;
      await until('values again', () => flow.state.values.length > before);
      assert.equal(flow.state.ended, false);
      // Logout still ends it: 4401 is final before shouldRetry is asked.
      assert.equal(await flow.logout(), true);
      await until('the subscription to end', () => flow.state.ended);
      assert.deepEqual(flow.state.closes.at(-1), { code: 4401, reason: 'session ended' });
      await sleep(1500);
      assert.equal(flow.state.connects, 2);
    } finally {
      await flow.dispose();
    }
  });

  test('the client helper (createTesseraClient) rides out the same outage with its defaults', async () => {
    const http = new HttpClient(server.url);
    await http.register();
    const values: number[] = [];
    let connects = 0;
    const client = createTesseraClient({
      url: `ws://127.0.0.1:${server.port}/graphql`,
      webSocketImpl: WebSocket,
      fetchTicket: () => http.ticket(),
      on: { connected: () => void connects++ },
    });
    const stop = client.subscribe(
      { query: 'subscription { accountsUserCount }' },
      { next: (result) => void values.push(result.data?.['accountsUserCount'] as number), error: () => {}, complete: () => {} },
    );
    try {
      await until('a value', () => values.length >= 1);
      await server.restart(3000);
      await until('a reconnect', () => connects === 2, 40_000);
      const before = values.length;
      await until('values again', () => values.length > before);
    } finally {
      stop();
      await client.dispose();
    }
  });
});
