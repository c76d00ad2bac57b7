/**
 * The client helper (src/client/tessera-client.ts) over graphql-ws's client:
 * a fresh ticket on every connect and reconnect, and no retrying once the
 * server says the session is over.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { backoffMs, createTesseraClient, defaultHttpUrl, fetchTicketOverHttp, isSessionOver } from '../../src/client/tessera-client.js';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('createTesseraClient', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('fetches a fresh ticket for the first connect and for every reconnect', async () => {
    const http = new HttpClient(server.url);
    const { id } = await http.register();
    const tickets: string[] = [];
    let connects = 0;
    const client = createTesseraClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      retryWait: () => sleep(20),
      fetchTicket: async () => {
        const ticket = await http.ticket();
        tickets.push(ticket);
        return ticket;
      },
      on: {
        connected: (socket) => {
          connects++;
          // Drop the first two connections as a network failure would.
          if (connects <= 2) (socket as WebSocket).terminate();
        },
      },
    });
    const values: number[] = [];
    const errors: unknown[] = [];
    const stop = client.subscribe<{ accountsUserCount: number }>(
      { query: 'subscription { accountsUserCount }' },
      { next: (r) => values.push(r.data?.accountsUserCount as number), error: (e) => errors.push(e), complete: () => {} },
    );
    await waitFor(() => connects >= 3, 'a third connection');
    // The resubscription after the last reconnect is live.
    const deadline = Date.now() + 5000;
    while (!values.includes(9) && Date.now() < deadline) {
      await server.tessera.services.publisher.publish(`user_count:${id}`, 9);
      await sleep(20);
    }
    assert.ok(values.includes(9), 'values arrive after reconnecting');
    assert.equal(tickets.length, 3, 'one ticket per connect');
    assert.equal(new Set(tickets).size, 3, 'never the same ticket twice');
    assert.deepEqual(errors, []);
    stop();
    await client.dispose();
  });

  test('stops retrying after 4401 "session ended" and calls onSessionEnded once', async () => {
    const http = new HttpClient(server.url);
    await http.register();
    let fetches = 0;
    const ended: string[] = [];
    const closes: number[] = [];
    const client = createTesseraClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      retryWait: () => sleep(20),
      fetchTicket: async () => {
        fetches++;
        return http.ticket().catch(() => undefined);
      },
      onSessionEnded: (reason) => ended.push(reason),
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    const errors: unknown[] = [];
    let connected = false;
    client.on('connected', () => (connected = true));
    client.subscribe({ query: 'subscription { accountsUserCount }' }, { next: () => {}, error: (e) => errors.push(e), complete: () => {} });
    await waitFor(() => connected, 'the connection');
    await sleep(50);
    await http.gql('mutation { accountsLogout }');
    await waitFor(() => errors.length > 0, 'the subscription to fail');
    await sleep(300);
    assert.deepEqual(ended, ['session ended']);
    assert.equal(fetches, 1, 'no reconnect, so no second ticket');
    assert.deepEqual(closes, [4401]);
    assert.equal((errors[0] as { code: number }).code, 4401);
    await client.dispose();
  });

  test('keeps retrying after a 4403 that is not about the session (e.g. a replayed ticket)', async () => {
    const http = new HttpClient(server.url);
    await http.register();
    const reused = await http.ticket();
    // Spend it, so that the helper's first attempt is refused with "ticket already used".
    const spend = createTesseraClient({ url: server.wsUrl, webSocketImpl: WebSocket, lazy: false, fetchTicket: async () => reused });
    await new Promise<void>((resolve) => spend.on('connected', () => resolve()));
    await spend.dispose();
    const sent: string[] = [];
    const ended: string[] = [];
    let connected = false;
    const client = createTesseraClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryWait: () => sleep(20),
      fetchTicket: async () => {
        const ticket = sent.length === 0 ? reused : await http.ticket();
        sent.push(ticket);
        return ticket;
      },
      onSessionEnded: (reason) => ended.push(reason),
    });
    client.on('connected', () => (connected = true));
    await waitFor(() => connected, 'a connection on the second attempt');
    assert.equal(sent.length, 2);
    assert.deepEqual(ended, []);
    await client.dispose();
  });

  test('without fetchTicket it asks httpUrl for accountsMe.token (signed out in Node: anonymous)', async () => {
    assert.equal(defaultHttpUrl('wss://example.test/graphql'), 'https://example.test/graphql');
    assert.equal(defaultHttpUrl(server.wsUrl), `${server.url}/graphql`);
    assert.equal(await fetchTicketOverHttp(`${server.url}/graphql`), undefined);
    const client = createTesseraClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const result = await client.iterate({ query: '{ accountsMe { token } }' }).next();
    assert.deepEqual(result.value, { data: { accountsMe: null } });
    await client.dispose();
  });
});

describe('isSessionOver', () => {
  test('is true only for 4401 with a session reason', () => {
    assert.equal(isSessionOver({ code: 4401, reason: 'session ended' }), true);
    assert.equal(isSessionOver({ code: 4401, reason: 'session expired' }), true);
    assert.equal(isSessionOver({ code: 4401, reason: 'user not found' }), true);
    assert.equal(isSessionOver({ code: 4401, reason: 'Unauthorized' }), false, 'subscribe before the ack is not about the session');
    assert.equal(isSessionOver({ code: 4403, reason: 'session ended' }), false);
    assert.equal(isSessionOver({ code: 4403, reason: 'ticket already used' }), false);
    assert.equal(isSessionOver({ code: 4403, reason: 'ticket expired' }), false);
    assert.equal(isSessionOver({ code: 1001, reason: 'session ended' }), false);
    assert.equal(isSessionOver(new Error('session ended')), false);
  });
});

describe('backoffMs', () => {
  test('grows exponentially from 500 ms, is capped at 30 s, and is jittered over the whole range', () => {
    assert.equal(backoffMs(0, () => 0), 500);
    assert.equal(backoffMs(0, () => 1), 1000);
    assert.equal(backoffMs(3, () => 1), 8000);
    assert.equal(backoffMs(3, () => 0), 500);
    assert.equal(backoffMs(3, () => 0.5), 4250);
    assert.equal(backoffMs(10, () => 1), 30_000);
    assert.equal(backoffMs(1000, () => 1), 30_000);
    const spread = new Set(Array.from({ length: 50 }, () => backoffMs(6)));
    assert.ok(spread.size > 40, `50 clients retrying at once spread over ${spread.size} distinct delays`);
    for (const wait of spread) assert.ok(wait >= 500 && wait <= 30_000);
  });

  test('the first retry is jittered too: the clients of a restarted server do not all come back at 500 ms', () => {
    const first = Array.from({ length: 200 }, () => backoffMs(0));
    const spread = new Set(first);
    assert.ok(spread.size > 100, `200 clients' first retries spread over ${spread.size} distinct delays`);
    for (const wait of first) assert.ok(wait >= 500 && wait <= 1000, `first retry ${wait} ms`);
  });
});

describe('createTesseraClient when a ticket cannot be fetched', () => {
  test('a failed ticket request is retried, not fatal: the next attempt connects with a fresh ticket', async () => {
    const server = await startServer();
    try {
      const http = new HttpClient(server.url);
      const { id } = await http.register();
      let attempts = 0;
      const client = createTesseraClient({
        url: server.wsUrl,
        webSocketImpl: WebSocket,
        retryWait: () => sleep(20),
        fetchTicket: async () => {
          attempts++;
          if (attempts === 1) throw new Error('HTTP 503');
          return http.ticket();
        },
      });
      const values: number[] = [];
      const errors: unknown[] = [];
      client.subscribe<{ accountsUserCount: number }>(
        { query: 'subscription { accountsUserCount }' },
        { next: (r) => values.push(r.data?.accountsUserCount as number), error: (e) => errors.push(e), complete: () => {} },
      );
      const deadline = Date.now() + 5000;
      while (!values.includes(4) && errors.length === 0 && Date.now() < deadline) {
        await server.tessera.services.publisher.publish(`user_count:${id}`, 4);
        await sleep(20);
      }
      assert.deepEqual(errors, []);
      assert.ok(values.includes(4));
      assert.equal(attempts, 2);
      await client.dispose();
    } finally {
      await server.close();
    }
  });
  test('fetches the ticket before the socket opens: a ticket slower than WS_INIT_TIMEOUT_MS does not cost a 4408', async () => {
    const server = await startServer({ WS_INIT_TIMEOUT_MS: '400' });
    try {
      const http = new HttpClient(server.url);
      const { id } = await http.register();
      const closes: number[] = [];
      let fetches = 0;
      const client = createTesseraClient({
        url: server.wsUrl,
        webSocketImpl: WebSocket,
        retryWait: () => sleep(20),
        fetchTicket: async () => {
          fetches++;
          // As a ticket request to a node busy with a reconnect storm: slower than the init timeout.
          await sleep(900);
          return http.ticket();
        },
        on: { closed: (event) => closes.push((event as { code: number }).code) },
      });
      const values: number[] = [];
      const errors: unknown[] = [];
      client.subscribe<{ accountsUserCount: number }>(
        { query: 'subscription { accountsUserCount }' },
        { next: (r) => values.push(r.data?.accountsUserCount as number), error: (e) => errors.push(e), complete: () => {} },
      );
      const deadline = Date.now() + 8000;
      while (!values.includes(6) && errors.length === 0 && Date.now() < deadline) {
        await server.tessera.services.publisher.publish(`user_count:${id}`, 6);
        await sleep(50);
      }
      assert.deepEqual(errors, []);
      assert.ok(values.includes(6), 'the subscription received the value');
      assert.deepEqual(closes, [], 'no socket was closed (a ticket fetched after the open would get 4408)');
      assert.equal(fetches, 1);
      await client.dispose();
    } finally {
      await server.close();
    }
  });
});
