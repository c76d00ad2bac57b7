/**
 * Issue 3, "Done when" 1: the official graphql-ws client works unchanged
 * against Tessera's own engine: tickets, user counts, isolation between users,
 * anonymous refusal, admin announcements, and single results over the socket.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FormattedExecutionResult } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { grantAdmin } from '../helpers/admin.js';
import { HttpClient, uniqueEmail } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const ADMIN = uniqueEmail();
const ADMIN_TOO = uniqueEmail();

/** Collects a subscription's results; `until` resolves once `count` arrived. */
function collect(client: Client, query: string) {
  const results: FormattedExecutionResult<any, unknown>[] = [];
  const errors: unknown[] = [];
  let wake: () => void = () => {};
  let completed = false;
  const stop = client.subscribe(
    { query },
    {
      next: (value) => {
        results.push(value);
        wake();
      },
      error: (error) => {
        errors.push(error);
        wake();
      },
      complete: () => {
        completed = true;
        wake();
      },
    },
  );
  const until = async (done: () => boolean, timeoutMs = 5000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out; results ${JSON.stringify(results)}, errors ${JSON.stringify(errors)}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  };
  return { results, errors, stop, until, get completed() { return completed; } };
}

function officialClient(server: TestServer, token?: string): Client {
  return createClient({
    url: server.wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    ...(token === undefined ? {} : { connectionParams: { token } }),
  });
}

async function signedIn(server: TestServer, email = uniqueEmail()): Promise<{ http: HttpClient; id: string; email: string }> {
  const http = new HttpClient(server.url);
  const { id, password } = await http.register(email);
  // Log in again as the seed's flow does (register already signed in; this makes a second session).
  const login = await http.login(email, password);
  assert.equal(login.body.errors, undefined);
  return { http, id, email };
}

describe('graphql-transport-ws with the official graphql-ws client', () => {
  let server: TestServer;
  const clients: Client[] = [];
  before(async () => {
    server = await startServer({ USER_COUNT_INTERVAL_MS: '40' });
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await server.close();
  });

  test('a signed-in user with the accountsMe.token ticket receives several accountsUserCount values in 1..10', async () => {
    const { http } = await signedIn(server);
    const me = await http.gql('{ accountsMe { user { email } token } }');
    const token = me.body.data.accountsMe.token as string;
    assert.match(token, /^t1\./);
    const client = officialClient(server, token);
    clients.push(client);
    const counts = collect(client, 'subscription { accountsUserCount }');
    await counts.until(() => counts.results.length >= 5);
    counts.stop();
    assert.deepEqual(counts.errors, []);
    for (const result of counts.results) {
      assert.equal(result.errors, undefined);
      const value = result.data?.accountsUserCount;
      assert.ok(Number.isInteger(value) && value >= 1 && value <= 10, `value ${value} is an integer in 1..10`);
    }
  });

  test('two users never see each other’s accountsUserCount values', async () => {
    const alice = await signedIn(server);
    const bob = await signedIn(server);
    const aliceClient = officialClient(server, await alice.http.ticket());
    const bobClient = officialClient(server, await bob.http.ticket());
    clients.push(aliceClient, bobClient);
    // The worker publishes 1..10; these markers are outside that range and name their user.
    const aliceSees = collect(aliceClient, 'subscription { accountsUserCount }');
    const bobSees = collect(bobClient, 'subscription { accountsUserCount }');
    await aliceSees.until(() => aliceSees.results.length >= 1);
    await bobSees.until(() => bobSees.results.length >= 1);
    const publisher = server.tessera.services.publisher;
    for (let i = 0; i < 5; i++) {
      await publisher.publish(`user_count:${alice.id}`, 1000 + i);
      await publisher.publish(`user_count:${bob.id}`, 2000 + i);
    }
    const values = (sees: typeof aliceSees) => sees.results.map((r) => r.data?.accountsUserCount as number);
    await aliceSees.until(() => values(aliceSees).filter((v) => v >= 1000).length >= 5);
    await bobSees.until(() => values(bobSees).filter((v) => v >= 1000).length >= 5);
    assert.deepEqual(values(aliceSees).filter((v) => v > 10), [1000, 1001, 1002, 1003, 1004]);
    assert.deepEqual(values(bobSees).filter((v) => v > 10), [2000, 2001, 2002, 2003, 2004]);
    aliceSees.stop();
    bobSees.stop();
  });

  test('an anonymous connection is acknowledged; accountsUserCount answers an error UNAUTHENTICATED and the socket stays open', async () => {
    const client = officialClient(server);
    clients.push(client);
    let closed = false;
    client.on('closed', () => (closed = true));
    const counts = collect(client, 'subscription { accountsUserCount }');
    await counts.until(() => counts.errors.length > 0);
    const errors = counts.errors[0] as { message: string; extensions?: { code?: string } }[];
    assert.ok(Array.isArray(errors), `an error message with GraphQL errors, got ${JSON.stringify(counts.errors[0])}`);
    assert.equal(errors[0]?.extensions?.code, 'UNAUTHENTICATED');
    // The same socket still answers.
    const me = await client.iterate({ query: '{ accountsMe { token } }' }).next();
    assert.deepEqual(me.value, { data: { accountsMe: null } });
    assert.equal(closed, false);
  });

  test('an admin’s systemAnnounce reaches every subscriber; a non-admin gets FORBIDDEN', async () => {
    const admin = await signedIn(server, ADMIN);
    await grantAdmin(server, ADMIN);
    const listeners = await Promise.all([0, 1, 2].map(() => signedIn(server)));
    const streams = [];
    for (const listener of [admin, ...listeners]) {
      const client = officialClient(server, await listener.http.ticket());
      clients.push(client);
      const stream = collect(client, 'subscription { systemAnnouncements { id message createdAt } }');
      streams.push(stream);
    }
    // Wait until every subscription is registered (a probe published to the topic arrives everywhere).
    const deadline = Date.now() + 5000;
    while (streams.some((s) => s.results.length === 0) && Date.now() < deadline) {
      await server.tessera.services.publisher.publish('system_announcements', { id: 'probe', message: 'probe', createdAt: '' });
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    const denied = await listeners[0]!.http.gql('mutation { systemAnnounce(message: "not me") { id } }');
    assert.equal(denied.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const made = await admin.http.gql('mutation ($m: String!) { systemAnnounce(message: $m) { id message createdAt } }', {
      m: 'maintenance at noon',
    });
    assert.equal(made.body.errors, undefined);
    const announcement = made.body.data.systemAnnounce;
    for (const stream of streams) {
      await stream.until(() => stream.results.some((r) => r.data?.systemAnnouncements?.id === announcement.id));
      const got = stream.results.filter((r) => r.data?.systemAnnouncements?.id !== 'probe');
      assert.deepEqual(got, [{ data: { systemAnnouncements: announcement } }]);
      assert.ok(!stream.results.some((r) => r.data?.systemAnnouncements?.message === 'not me'));
      stream.stop();
    }
  });

  test('a query and a mutation over the socket answer next then complete', async () => {
    const admin = await signedIn(server, ADMIN_TOO);
    await grantAdmin(server, ADMIN_TOO);
    const client = officialClient(server, await admin.http.ticket());
    clients.push(client);
    const query = collect(client, '{ accountsMe { user { email } } }');
    await query.until(() => query.completed);
    assert.deepEqual(query.results, [{ data: { accountsMe: { user: { email: admin.email } } } }]);
    const mutation = collect(client, 'mutation { systemAnnounce(message: "over the socket") { message } }');
    await mutation.until(() => mutation.completed);
    assert.deepEqual(mutation.results, [{ data: { systemAnnounce: { message: 'over the socket' } } }]);
  });
});
