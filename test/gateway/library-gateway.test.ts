/**
 * Issue 10: the gateway as a library, on a plain node:http server with a schema
 * and a session system of the test's own (no Tessera app module):
 * - a schema written for graphql-ws's `useServer` (async generators, a
 *   graphql-subscriptions PubSub with withFilter) runs unchanged with graphql-ws's
 *   own client, each subscriber with its own context, and unsubscribing (or the
 *   socket closing) releases the iterator: `return()` is called, `finally` runs;
 * - a fast-path field (`extensions.tessera`) in a `global` group executes with the
 *   context of no session: user A's data never reaches user B through it;
 * - tickets, the cookie from an allowed Origin only, a foreign Origin refused,
 *   `endSessions` closing the sockets with 4401.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  type FormattedExecutionResult,
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';
import { PubSub, withFilter } from 'graphql-subscriptions';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { type Bus, createGateway, type Gateway, type GatewaySession, MemoryBus, type SessionSource } from '../../src/index.js';

const ORIGIN = 'http://app.example.test';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
}

interface Ctx {
  readonly session: GatewaySession<{ name: string }> | undefined;
}

/** A session system of the test's own: cookie `sid=<id>`, sessions in a Map. */
function memorySessions() {
  const live = new Map<string, GatewaySession<{ name: string }>>();
  const source: SessionSource<{ name: string }> = {
    async fromCookie(header) {
      const match = /(?:^|;\s*)sid=([^;]+)/.exec(header);
      return match === null ? undefined : live.get(match[1] as string);
    },
    async check(id) {
      const session = live.get(id);
      return session === undefined ? { status: 'ended' } : { status: 'live', session };
    },
  };
  return {
    source,
    add(id: string, userId: string) {
      live.set(id, { id, userId, expiresAt: Infinity, user: { name: userId } });
    },
    end(id: string) {
      live.delete(id);
    },
  };
}

// What the standard subscriptions did, for the test to look at.
const released = { ticks: 0, messageIterators: 0 };
const started = { ticks: 0 };
const pubsub = new PubSub();

const Message = new GraphQLObjectType({
  name: 'Message',
  fields: {
    room: { type: new GraphQLNonNull(GraphQLString) },
    text: { type: new GraphQLNonNull(GraphQLString) },
    // The subscriber's own context: each sees its own name.
    seenBy: { type: GraphQLString, resolve: (_m, _a, context: Ctx) => context.session?.userId ?? null },
  },
});

const News = new GraphQLObjectType({
  name: 'News',
  fields: {
    text: { type: new GraphQLNonNull(GraphQLString) },
    // A resolver reading the session: in a global group it must see none.
    viewer: { type: GraphQLString, resolve: (_n, _a, context: Ctx) => context.session?.userId ?? null },
  },
});

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'world' } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      // An async generator, as in graphql-ws's README.
      ticks: {
        type: GraphQLInt,
        args: { upTo: { type: GraphQLInt } },
        subscribe: async function* (_root: unknown, args: { upTo?: number | null }) {
          started.ticks += 1;
          try {
            for (let i = 1; args.upTo == null || i <= args.upTo; i++) {
              await sleep(10);
              yield { ticks: i };
            }
          } finally {
            released.ticks += 1;
          }
        },
      },
      // graphql-subscriptions' PubSub with withFilter, as Apollo's docs write it.
      messages: {
        type: Message,
        args: { room: { type: new GraphQLNonNull(GraphQLString) } },
        subscribe: withFilter(
          () => {
            const iterator = pubsub.asyncIterableIterator<{ messages: { room: string; text: string } }>('MESSAGE');
            const original = iterator.return.bind(iterator);
            iterator.return = () => {
              released.messageIterators += 1;
              return original();
            };
            return iterator;
          },
          (payload: any, args: any) => (payload as { messages: { room: string } }).messages.room === (args as { room: string }).room,
        ),
      },
      // Requires a session: the subscribe resolver refuses without one.
      private: {
        type: GraphQLString,
        subscribe: (_root: unknown, _args: unknown, context: Ctx) => {
          if (context.session === undefined) throw new Error('sign in first');
          return pubsub.asyncIterableIterator('NEVER');
        },
      },
      // Tessera's fast path, shared by everyone.
      news: {
        type: News,
        extensions: { tessera: { scope: 'global', topic: () => 'news' } },
      },
      // Tessera's fast path, per user.
      inbox: {
        type: News,
        extensions: {
          tessera: {
            scope: 'user',
            topic: (_args: unknown, context: Ctx) => {
              if (context.session === undefined) throw new Error('anonymous');
              return `inbox:${context.session.userId}`;
            },
          },
        },
      },
    },
  }),
});

/** A WebSocket sending the browser's Origin and a cookie, for graphql-ws's client. */
function browserSocket(origin: string, cookie?: string) {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { origin, ...(cookie === undefined ? {} : { cookie }) } });
    }
  };
}

interface Collected {
  results: FormattedExecutionResult<any, unknown>[];
  errors: unknown[];
  completed: boolean;
  stop: () => void;
}

function collect(client: Client, query: string, variables?: Record<string, unknown>): Collected {
  const collected: Collected = { results: [], errors: [], completed: false, stop: () => {} };
  collected.stop = client.subscribe(
    { query, ...(variables === undefined ? {} : { variables }) },
    {
      next: (value) => collected.results.push(value),
      error: (error) => collected.errors.push(error),
      complete: () => {
        collected.completed = true;
      },
    },
  );
  return collected;
}

describe('createGateway: any schema, any session system, graphql-ws client', () => {
  let server: Server;
  let gateway: Gateway<{ name: string }>;
  let url: string;
  const sessions = memorySessions();
  const clients: Client[] = [];
  const closes: { code: number; reason: string }[] = [];

  function client(options: { token?: string; cookie?: string; origin?: string } = {}): Client {
    const made = createClient({
      url,
      webSocketImpl: options.origin === undefined && options.cookie === undefined ? WebSocket : browserSocket(options.origin ?? ORIGIN, options.cookie),
      lazy: false,
      retryAttempts: 0,
      ...(options.token === undefined ? {} : { connectionParams: { token: options.token } }),
      on: {
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          closes.push({ code, reason: String(reason) });
        },
      },
    });
    clients.push(made);
    return made;
  }

  before(async () => {
    sessions.add('sa', 'alice');
    sessions.add('sb', 'bob');
    server = createServer((_request, response) => response.writeHead(404).end());
    gateway = createGateway<Ctx, { name: string }>({
      schema,
      sessions: sessions.source,
      origins: [ORIGIN],
      limits: { keepAliveMs: 0 },
    });
    gateway.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });

  after(async () => {
    for (const c of clients) await c.dispose();
    await gateway.close();
    await new Promise((resolve) => server.close(resolve));
  });

  test('an async generator subscription runs to its end: next per value, then complete', async () => {
    const c = client();
    const ticks = collect(c, 'subscription { ticks(upTo: 3) }');
    await until(() => ticks.completed, 'complete');
    assert.deepEqual(ticks.results, [{ data: { ticks: 1 } }, { data: { ticks: 2 } }, { data: { ticks: 3 } }]);
    assert.deepEqual(ticks.errors, []);
  });

  test('unsubscribing returns the generator: its finally block runs', async () => {
    const c = client();
    const before = released.ticks;
    const ticks = collect(c, 'subscription { ticks }');
    await until(() => ticks.results.length >= 2, 'two ticks');
    assert.equal(gateway.engine.gauges().subscriptionsByField.get('ticks'), 1, 'counted in the gauges');
    ticks.stop();
    await until(() => released.ticks === before + 1, 'the generator released');
    assert.equal(gateway.engine.gauges().subscriptionsByField.get('ticks'), undefined);
    const seen = ticks.results.length;
    await sleep(60);
    assert.equal(ticks.results.length, seen, 'nothing after complete');
  });

  test('the socket closing returns the generator too', async () => {
    const before = released.ticks;
    const startedBefore = started.ticks;
    const c = client();
    const ticks = collect(c, 'subscription { ticks }');
    await until(() => ticks.results.length >= 1, 'a tick');
    assert.equal(started.ticks, startedBefore + 1);
    await c.dispose();
    await until(() => released.ticks === before + 1, 'the generator released at close');
  });

  test('PubSub + withFilter: each subscriber gets its room, with its own context; unsubscribe returns the PubSub iterator', async () => {
    const alice = client({ token: gateway.issueTicket({ id: 'sa', userId: 'alice' }) });
    const bob = client({ token: gateway.issueTicket({ id: 'sb', userId: 'bob' }) });
    const query = 'subscription ($room: String!) { messages(room: $room) { room text seenBy } }';
    const a = collect(alice, query, { room: 'red' });
    const b = collect(bob, query, { room: 'blue' });
    const releasedBefore = released.messageIterators;
    // Both are subscribed once a message published now reaches them.
    await until(() => {
      void pubsub.publish('MESSAGE', { messages: { room: 'red', text: 'probe' } });
      void pubsub.publish('MESSAGE', { messages: { room: 'blue', text: 'probe' } });
      return a.results.length > 0 && b.results.length > 0;
    }, 'both subscribed');
    // Every message either received is in its own room, and seen by its own subscriber.
    const texts = (c: Collected) => c.results.map((r) => (r.data as { messages: { text: string } }).messages.text).filter((t) => t !== 'probe');
    await pubsub.publish('MESSAGE', { messages: { room: 'red', text: 'hi red' } });
    await pubsub.publish('MESSAGE', { messages: { room: 'blue', text: 'hi blue' } });
    await until(() => texts(a).length === 1 && texts(b).length === 1, 'one message each');
    assert.ok(a.results.every((r) => JSON.stringify(r.data) === JSON.stringify({ messages: { room: 'red', text: (r.data as any).messages.text, seenBy: 'alice' } })), JSON.stringify(a.results));
    assert.ok(b.results.every((r) => JSON.stringify(r.data) === JSON.stringify({ messages: { room: 'blue', text: (r.data as any).messages.text, seenBy: 'bob' } })), JSON.stringify(b.results));
    assert.deepEqual(texts(a), ['hi red']);
    assert.deepEqual(texts(b), ['hi blue']);
    a.stop();
    await until(() => released.messageIterators === releasedBefore + 1, "alice's iterator returned");
    await pubsub.publish('MESSAGE', { messages: { room: 'red', text: 'after' } });
    await pubsub.publish('MESSAGE', { messages: { room: 'blue', text: 'still' } });
    await until(() => texts(b).length === 2, 'bob still subscribed');
    await sleep(50);
    assert.deepEqual(texts(a), ['hi red'], 'alice got nothing after unsubscribing');
    b.stop();
    await until(() => released.messageIterators === releasedBefore + 2, "bob's iterator returned");
  });

  test('a subscribe resolver that throws answers with an error message, as graphql-ws does', async () => {
    const c = client();
    const refused = collect(c, 'subscription { private }');
    await until(() => refused.errors.length === 1, 'the error');
    const errors = refused.errors[0] as { message: string }[];
    assert.ok(Array.isArray(errors) && errors.length === 1, JSON.stringify(refused.errors));
    assert.equal(refused.results.length, 0);
  });

  test('a global fast-path group runs with the context of no session: alice never reaches bob', async () => {
    const alice = client({ token: gateway.issueTicket({ id: 'sa', userId: 'alice' }) });
    const bob = client({ cookie: 'sid=sb' });
    const query = 'subscription { news { text viewer } }';
    // Alice first: under the old rule the group would keep her context.
    const a = collect(alice, query);
    await until(() => [...gateway.engine.activeTopics()].includes('news'), 'alice subscribed');
    const b = collect(bob, query);
    await until(() => gateway.engine.gauges().fanoutGroups >= 1 && gateway.engine.gauges().subscriptionsByField.get('news') === 2, 'bob subscribed');
    await gateway.publish('news', { text: 'hello' });
    await until(() => a.results.length === 1 && b.results.length === 1, 'both got it');
    assert.deepEqual(a.results, [{ data: { news: { text: 'hello', viewer: null } } }]);
    assert.deepEqual(b.results, [{ data: { news: { text: 'hello', viewer: null } } }]);
    assert.equal(gateway.engine.gauges().fanoutGroups, 1, 'one group, executed once for both');
    a.stop();
    b.stop();
  });

  test('a user-scope fast-path group sees its user: each inbox is its own', async () => {
    const alice = client({ token: gateway.issueTicket({ id: 'sa', userId: 'alice' }) });
    const bob = client({ cookie: 'sid=sb', origin: ORIGIN });
    const query = 'subscription { inbox { text viewer } }';
    const a = collect(alice, query);
    const b = collect(bob, query);
    await until(() => {
      const topics = [...gateway.engine.activeTopics()];
      return topics.includes('inbox:alice') && topics.includes('inbox:bob');
    }, 'both subscribed');
    await gateway.publish('inbox:alice', { text: 'for alice' });
    await gateway.publish('inbox:bob', { text: 'for bob' });
    await until(() => a.results.length === 1 && b.results.length === 1, 'one each');
    assert.deepEqual(a.results, [{ data: { inbox: { text: 'for alice', viewer: 'alice' } } }]);
    assert.deepEqual(b.results, [{ data: { inbox: { text: 'for bob', viewer: 'bob' } } }]);
    a.stop();
    b.stop();
  });

  test('the cookie counts only from an allowed Origin; a foreign Origin is refused at the upgrade', async () => {
    // No Origin (not a browser): the cookie is ignored, the socket is anonymous.
    const anonymous = new WebSocket(url, 'graphql-transport-ws', { headers: { cookie: 'sid=sa' } });
    const frames: string[] = [];
    anonymous.on('message', (data) => frames.push(data.toString()));
    await new Promise((resolve) => anonymous.once('open', resolve));
    anonymous.send(JSON.stringify({ type: 'connection_init' }));
    await until(() => frames.length >= 1, 'the ack');
    anonymous.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { inbox { text } }' } }));
    await until(() => frames.length >= 2, 'ack and the refusal');
    assert.deepEqual(JSON.parse(frames[0] as string), { type: 'connection_ack' });
    const refusal = JSON.parse(frames[1] as string) as { type: string };
    assert.equal(refusal.type, 'error', 'the topic function saw no session');
    anonymous.close();

    const foreign = new WebSocket(url, 'graphql-transport-ws', { headers: { origin: 'http://evil.example.test', cookie: 'sid=sa' } });
    const status = await new Promise<number | undefined>((resolve) => {
      foreign.once('unexpected-response', (_request, response) => resolve(response.statusCode));
      foreign.once('open', () => resolve(undefined));
      foreign.once('error', () => {});
    });
    assert.equal(status, 403);
    foreign.terminate();
  });

  test('a ticket works once', async () => {
    const token = gateway.issueTicket({ id: 'sa', userId: 'alice' });
    const first = client({ token });
    const ok = collect(first, '{ hello }');
    await until(() => ok.completed, 'the first use');
    assert.deepEqual(ok.results, [{ data: { hello: 'world' } }]);
    const countBefore = closes.length;
    client({ token });
    await until(() => closes.length > countBefore, 'the replay refused');
    assert.equal(closes.at(-1)?.code, 4403);
  });

  test('endSessions closes the sockets of those sessions at once with 4401, and returns their iterators', async () => {
    sessions.add('sc', 'carol');
    const carol = client({ token: gateway.issueTicket({ id: 'sc', userId: 'carol' }) });
    const releasedBefore = released.ticks;
    const ticks = collect(carol, 'subscription { ticks }');
    await until(() => ticks.results.length >= 1, 'a tick');
    const countBefore = closes.length;
    sessions.end('sc');
    await gateway.endSessions(['sc'], 'signed out');
    await until(() => closes.length > countBefore, 'closed');
    assert.deepEqual(closes.at(-1), { code: 4401, reason: 'signed out' });
    await until(() => released.ticks === releasedBefore + 1, 'the generator released');
  });
});

describe('createGateway: endSessions crosses nodes through the bus', () => {
  test('a session ended on node A closes its socket on node B (4401); the other sockets stay', async () => {
    const bus = new MemoryBus();
    const sessions = memorySessions();
    sessions.add('s1', 'dave');
    sessions.add('s2', 'erin');
    const secrets = ['a shared secret of at least thirty-two characters'];
    const nodeA = createGateway({ schema, sessions: sessions.source, origins: [ORIGIN], bus, ticketSecrets: secrets });
    const nodeB = createGateway({ schema, sessions: sessions.source, origins: [ORIGIN], bus, ticketSecrets: secrets });
    const server = createServer();
    nodeB.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const open = async (token: string) => {
      const ws = new WebSocket(url, 'graphql-transport-ws');
      const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
      const acked = new Promise((resolve) => ws.once('message', resolve));
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(JSON.stringify({ type: 'connection_init', payload: { token } }));
      await acked;
      return { ws, closed };
    };
    try {
      // A ticket issued by node A is redeemed on node B: the secrets are shared.
      const dave = await open(nodeA.issueTicket({ id: 's1', userId: 'dave' }));
      const erin = await open(nodeB.issueTicket({ id: 's2', userId: 'erin' }));
      assert.equal(nodeB.engine.connectionCount, 2);
      sessions.end('s1');
      await nodeA.endSessions(['s1']);
      assert.deepEqual(await dave.closed, { code: 4401, reason: 'session ended' });
      await sleep(20);
      assert.equal(erin.ws.readyState, WebSocket.OPEN);
      erin.ws.close();
      await erin.closed;
    } finally {
      await nodeA.close();
      await nodeB.close();
      await new Promise((resolve) => server.close(resolve));
      await bus.close();
    }
  });
});

describe('createGateway: an async context function', () => {
  test('subscriptions, fast path and standard, run with what it resolves; the global group with its answer for no session', async () => {
    const sessions = memorySessions();
    sessions.add('s1', 'frank');
    let built = 0;
    const gateway = createGateway<Ctx, { name: string }>({
      schema,
      sessions: sessions.source,
      origins: [ORIGIN],
      context: async ({ session }) => {
        built += 1;
        await sleep(5);
        return { session };
      },
    });
    const server = createServer();
    gateway.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = createClient({
      url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { token: gateway.issueTicket({ id: 's1', userId: 'frank' }) },
    });
    try {
      const news = collect(client, 'subscription { news { text viewer } }');
      const inbox = collect(client, 'subscription { inbox { text viewer } }');
      const ticks = collect(client, 'subscription { ticks(upTo: 2) }');
      await until(() => gateway.engine.gauges().topics === 2, 'both fast-path subscriptions joined');
      await gateway.publish('news', { text: 'n' });
      await gateway.publish('inbox:frank', { text: 'i' });
      await until(() => news.results.length === 1 && inbox.results.length === 1 && ticks.completed, 'everything arrived');
      assert.deepEqual(news.results, [{ data: { news: { text: 'n', viewer: null } } }]);
      assert.deepEqual(inbox.results, [{ data: { inbox: { text: 'i', viewer: 'frank' } } }]);
      assert.deepEqual(ticks.results, [{ data: { ticks: 1 } }, { data: { ticks: 2 } }]);
      assert.equal(built, 2, "the socket's context once, the shared one once");
    } finally {
      await client.dispose();
      await gateway.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('createGateway: how topics are heard on the bus', () => {
  /** A MemoryBus that records the channels subscribed and unsubscribed one by one; `prefix: false` hides subscribePrefix (as a Redis-like bus). */
  function recordingBus(prefix: boolean) {
    const inner = new MemoryBus();
    const subscribed: string[] = [];
    const unsubscribed: string[] = [];
    const bus: Bus = {
      publish: (channel, message) => inner.publish(channel, message),
      subscribe: (channel, listener) => {
        subscribed.push(channel);
        return inner.subscribe(channel, listener);
      },
      unsubscribe: (channel, listener) => {
        unsubscribed.push(channel);
        inner.unsubscribe(channel, listener);
      },
      onReconnect: (listener) => inner.onReconnect(listener),
      close: () => inner.close(),
      ...(prefix ? { subscribePrefix: (p: string, listener: Parameters<Bus['subscribe']>[1]) => inner.subscribePrefix(p, listener) } : {}),
    };
    return { bus, subscribed, unsubscribed };
  }

  for (const prefix of [true, false]) {
    test(prefix
      ? 'with subscribePrefix (the in-process bus): no channel per topic, each topic still reaches its own subscribers only'
      : 'without it: the first subscriber of a topic subscribes its channel, the last one out unsubscribes it', async () => {
      const recorded = recordingBus(prefix);
      const sessions = memorySessions();
      sessions.add('s1', 'alice');
      sessions.add('s2', 'bob');
      const server = createServer();
      const gateway = createGateway<Ctx, { name: string }>({ schema, sessions: sessions.source, origins: [ORIGIN], bus: recorded.bus, limits: { keepAliveMs: 0 } });
      gateway.attach(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
      const clients = [
        { id: 's1', userId: 'alice' },
        { id: 's2', userId: 'bob' },
      ].map((session) => createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams: { token: gateway.issueTicket(session) } }));
      try {
        const [a, b] = clients.map((c) => collect(c, 'subscription { inbox { text viewer } }')) as [Collected, Collected];
        await until(() => [...gateway.engine.activeTopics()].length === 2, 'both subscribed');
        await gateway.publish('inbox:alice', { text: 'for alice' });
        await gateway.publish('inbox:nobody', { text: 'for nobody' });
        await gateway.publish('inbox:bob', { text: 'for bob' });
        await until(() => a.results.length === 1 && b.results.length === 1, 'one each');
        assert.deepEqual(a.results, [{ data: { inbox: { text: 'for alice', viewer: 'alice' } } }]);
        assert.deepEqual(b.results, [{ data: { inbox: { text: 'for bob', viewer: 'bob' } } }]);
        const topicChannels = (list: string[]) => list.filter((channel) => channel.startsWith('topic:')).sort();
        assert.deepEqual(topicChannels(recorded.subscribed), prefix ? [] : ['topic:inbox:alice', 'topic:inbox:bob']);
        a.stop();
        await until(() => [...gateway.engine.activeTopics()].length === 1, 'alice left');
        assert.deepEqual(topicChannels(recorded.unsubscribed), prefix ? [] : ['topic:inbox:alice']);
        // Nothing reaches a topic whose subscriber left, however it is heard.
        await gateway.publish('inbox:alice', { text: 'too late' });
        await gateway.publish('inbox:bob', { text: 'again' });
        await until(() => b.results.length === 2, 'bob again');
        assert.equal(a.results.length, 1);
        b.stop();
      } finally {
        for (const c of clients) await c.dispose();
        await gateway.close();
        await new Promise((resolve) => server.close(resolve));
        await recorded.bus.close();
      }
    });
  }
});

describe('createGateway: close()', () => {
  test('a socket whose client never answers the close frame is cut after the grace period, not kept for ws\'s 30 s', async () => {
    const sessions = memorySessions();
    sessions.add('s1', 'carol');
    const server = createServer();
    const gateway = createGateway<Ctx, { name: string }>({ schema, sessions: sessions.source, origins: [ORIGIN], limits: { keepAliveMs: 0 } });
    gateway.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const ws = new WebSocket(url, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { token: gateway.issueTicket({ id: 's1', userId: 'carol' }) } }));
    await new Promise((resolve) => ws.once('message', resolve));
    // The client stops reading: it never sees the server's close frame, so never answers it.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const started = Date.now();
    await gateway.close();
    // The HTTP server closes once its last TCP connection is gone: the stuck socket was cut.
    await new Promise((resolve) => server.close(resolve));
    const ms = Date.now() - started;
    assert.ok(ms < 10_000, `the stuck socket was cut after ${ms} ms`);
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    // What it finds once it reads again: the going-away frame sent before it was cut.
    assert.equal(await closed, 1001);
  });
});
