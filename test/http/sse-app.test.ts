/**
 * Issue 13 against the real demo app: graphql-sse 2.6.1's own client in both
 * modes with Node's fetch (a cookie jar; the server's own Origin, as a browser
 * sends it), signed in with the cookie and with a ticket; accountsUserCount
 * values arrive; logout ends the stream with the reason and no reconnect;
 * anonymous streams get UNAUTHENTICATED; a URL credential and a foreign Origin
 * with the cookie are refused; a dropped stream resumed with Last-Event-ID gets
 * every shared event it missed, in order, and the events-missed signal past the window.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type ExecutionResult } from 'graphql-sse';
import { after, before, describe, it } from '../helpers/suite.js';
import { grantAdmin } from '../helpers/admin.js';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { messagesOf as messages, readStream as read } from '../helpers/sse-stream.js';

const readStream = (url: string, headers: Record<string, string>) => read(url, ANNOUNCEMENTS, headers);

const COUNT = 'subscription { accountsUserCount }';
const ANNOUNCEMENTS = 'subscription { systemAnnouncements { message } }';

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A fetch that sends the jar's cookies and keeps what the server sets. */
const jarFetch = (jar: HttpClient) => ((input: string | URL | Request, init?: RequestInit) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return jar.request(url, init);
}) as typeof fetch;

interface Seen {
  results: ExecutionResult[];
  ended: string | undefined;
}

function subscribe(client: ReturnType<typeof createClient>, query: string): Seen & { stop: () => void } {
  const seen: Seen & { stop: () => void } = { results: [], ended: undefined, stop: () => {} };
  seen.stop = client.subscribe(
    { query },
    {
      next: (value) => void seen.results.push(value as ExecutionResult),
      complete: () => void (seen.ended ??= 'complete'),
      error: (error) => void (seen.ended ??= `error: ${error instanceof Error ? error.message : JSON.stringify(error)}`),
    },
  );
  return seen;
}

describe('GraphQL over SSE on the demo app (graphql-sse 2.6.1 client, Node)', () => {
  let server: TestServer;
  let url: string;

  before(async () => {
    server = await startServer({ USER_COUNT_INTERVAL_MS: '200', SSE_RESUME_MAX_EVENTS: '5' });
    url = `${server.url}/graphql`;
  });
  after(() => server?.close());

  for (const singleConnection of [false, true]) {
    for (const credential of ['cookie', 'ticket'] as const) {
      const mode = singleConnection ? 'single connection' : 'distinct connections';
      it(`${mode}, ${credential}: accountsUserCount values, then logout ends the stream with "session ended" and no reconnect`, { timeout: 30_000 }, async () => {
        const jar = new HttpClient(server.url);
        await jar.register();
        let tickets = 0;
        let requests = 0;
        const client = createClient({
          url,
          singleConnection,
          retryAttempts: 3,
          retry: async () => {},
          fetchFn: ((input: string | URL | Request, init?: RequestInit) => {
            requests++;
            // The ticket client keeps no cookies: it proves who it is with the ticket alone.
            return credential === 'cookie' ? jarFetch(jar)(input, init) : fetch(input, init);
          }) as typeof fetch,
          headers: async (): Promise<Record<string, string>> => {
            if (credential === 'cookie') return { origin: server.url };
            tickets++;
            return { authorization: `Bearer ${await jar.ticket()}` };
          },
        });
        const seen = subscribe(client, COUNT);
        await until('two values', () => seen.results.filter((result) => typeof result.data?.['accountsUserCount'] === 'number').length >= 2);
        for (const result of seen.results) {
          const value = result.data?.['accountsUserCount'];
          assert.ok(typeof value === 'number' && value >= 1 && value <= 10, JSON.stringify(result));
        }
        const logout = await jar.gql('mutation { accountsLogout }');
        assert.equal(logout.body.data?.accountsLogout, true);
        await until('the stream to end', () => seen.ended !== undefined);
        assert.equal(seen.ended, 'complete');
        const last = seen.results.at(-1);
        assert.equal(last?.errors?.[0]?.message, 'session ended');
        assert.equal(last?.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
        const after = requests;
        await sleep(600);
        assert.equal(requests, after, 'no reconnect after the final event');
        if (credential === 'ticket') assert.equal(tickets, 1, 'one ticket, one stream');
        client.dispose();
        await until('the server to drop the stream', () => server.tessera.gateway.sse.streamCount === 0, 5000);
      });
    }
  }

  it('an anonymous stream gets UNAUTHENTICATED for a per-user field', { timeout: 15_000 }, async () => {
    const client = createClient({ url, retryAttempts: 0 });
    const seen = subscribe(client, COUNT);
    await until('the end', () => seen.ended !== undefined);
    assert.equal(seen.results[0]?.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
    client.dispose();
  });

  it('a ticket in the URL is refused with 400 (and not logged); a foreign Origin with the cookie is 403', async () => {
    const jar = new HttpClient(server.url);
    await jar.register();
    const ticket = await jar.ticket();
    const inUrl = await fetch(`${url}?query=${encodeURIComponent(COUNT)}&ticket=${ticket}`, { headers: { accept: 'text/event-stream' } });
    assert.equal(inUrl.status, 400);
    assert.ok(!server.logs.some((line) => line.includes(ticket)), 'the ticket is in no log line');
    const inExtensions = await fetch(`${url}?query=${encodeURIComponent(COUNT)}&extensions=${encodeURIComponent(JSON.stringify({ token: ticket }))}`, {
      headers: { accept: 'text/event-stream' },
    });
    assert.equal(inExtensions.status, 400);
    const foreign = await jar.request('/graphql?query=' + encodeURIComponent(COUNT), { headers: { accept: 'text/event-stream', origin: 'https://evil.example' } });
    assert.equal(foreign.status, 403);
    // Without an Origin nor same-origin Fetch Metadata the cookie does not count: anonymous.
    const noOrigin = await jar.request('/graphql?query=' + encodeURIComponent(COUNT), { headers: { accept: 'text/event-stream' } });
    assert.equal(noOrigin.status, 200);
    assert.match(await noOrigin.text(), /UNAUTHENTICATED/);
  });

  it("a client that accepts JSON as well (urql's default Accept) gets JSON for a query or mutation, a stream only for a subscription", async () => {
    const urqlAccept = 'application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed';
    const jar = new HttpClient(server.url);
    const registered = await jar.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: urqlAccept },
      body: JSON.stringify({ query: 'mutation ($e: String!, $p: String!) { accountsRegister(email: $e, password: $p) { id } }', variables: { e: `urql-${Date.now()}@example.test`, p: 'correct horse battery' } }),
    });
    assert.match(registered.headers.get('content-type') ?? '', /^application\/graphql-response\+json/);
    const body = (await registered.json()) as { data?: { accountsRegister?: { id: string } }; errors?: unknown };
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.ok(jar.cookieHeader?.includes('tessera_session='), 'the mutation set the session cookie, over HTTP');
    const controller = new AbortController();
    const subscription = await jar.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: urqlAccept, origin: server.url },
      body: JSON.stringify({ query: COUNT }),
      signal: controller.signal,
    });
    assert.equal(subscription.status, 200);
    assert.match(subscription.headers.get('content-type') ?? '', /^text\/event-stream/);
    controller.abort();
  });

  it('a dropped stream resumed with Last-Event-ID gets every shared event it missed, in order; past the window, EVENTS_MISSED first', { timeout: 30_000 }, async () => {
    const admin = new HttpClient(server.url);
    const { email } = await admin.register();
    await grantAdmin(server, email);
    const announce = async (message: string) => {
      const result = await admin.gql('mutation ($m: String!) { systemAnnounce(message: $m) { id } }', { m: message });
      assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
    };
    const reader = new HttpClient(server.url);
    await reader.register();
    const headers = () => ({ origin: server.url, cookie: reader.cookieHeader as string });

    const first = await readStream(url, headers());
    await sleep(100);
    await announce('a1');
    await announce('a2');
    await until('two events', () => first.events.length >= 2);
    assert.deepEqual(messages(first.events), ['a1', 'a2']);
    assert.ok(first.events.every((event) => event.id !== undefined), 'shared events carry an id');
    const lastSeen = first.events[1]?.id as string;
    first.drop();
    await announce('a3');
    await announce('a4');
    const resumed = await readStream(url, { ...headers(), 'last-event-id': lastSeen });
    await until('the missed events', () => resumed.events.length >= 2);
    await announce('a5');
    await until('the live event', () => resumed.events.length >= 3);
    await sleep(200);
    assert.deepEqual(messages(resumed.events), ['a3', 'a4', 'a5'], 'missed events in order, then live ones, none twice');
    resumed.drop();

    // The window holds 5 events (SSE_RESUME_MAX_EVENTS): from a1's id, more than that are gone.
    for (const message of ['b1', 'b2', 'b3', 'b4', 'b5', 'b6']) await announce(message);
    const late = await readStream(url, { ...headers(), 'last-event-id': first.events[0]?.id as string });
    await until('the gap signal and what is kept', () => late.events.length >= 6);
    assert.deepEqual(messages(late.events), ['EVENTS_MISSED', 'b2', 'b3', 'b4', 'b5', 'b6']);
    late.drop();
  });
});
