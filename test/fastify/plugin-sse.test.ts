/**
 * GraphQL over SSE through tessera/fastify on a real Fastify app with
 * @fastify/session: graphql-sse's client in both modes with the session cookie
 * (from the allowed Origin), events published by a mutation reach a stream and a
 * socket of the same fan-out group, logout (`endSessions`) ends the stream with
 * "session ended"; the per-user cap counts sockets and streams together.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildSchema } from 'graphql';
import { createClient, type ExecutionResult } from 'graphql-sse';
import { tessera } from '../../src/fastify/index.js';
import { declareTopics } from '../../src/index.js';
import { fastifySessions } from '../../src/sessions/fastify-session.js';
import type { GatewaySession } from '../../src/sessions/session-source.js';
import { RawClient } from '../helpers/ws-client.js';
import { after, before, describe, it } from '../helpers/suite.js';

declare module 'fastify' {
  interface Session {
    userId?: string;
  }
}

const SECRET = 'a-fastify-session-secret-of-32-chars-or-more';
const ORIGIN = 'http://app.example';

interface Context {
  readonly session: GatewaySession | undefined;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface TestApp {
  readonly app: FastifyInstance;
  readonly base: string;
  login(user: string): Promise<{ cookie: string; ticket: string }>;
  send(text: string): Promise<Response>;
}

async function startApp(limits: Record<string, number>, transports: string[] = []): Promise<TestApp> {
  const app = Fastify();
  const store = new fastifySession.MemoryStore();
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret: SECRET, store, saveUninitialized: false, cookie: { secure: false, maxAge: 3_600_000 } });
  const schema = declareTopics<Context>(
    buildSchema(`
      type Query { me: String }
      type Mutation { send(text: String!): Boolean! }
      type Message { text: String! }
      type Subscription { messages: Message! }
    `),
    { messages: { scope: 'global', topic: () => 'chat' } },
  );
  schema.getQueryType()!.getFields()['me']!.resolve = (_s, _a, context: Context) => context.session?.userId ?? null;
  schema.getMutationType()!.getFields()['send']!.resolve = async (_s, args: { text: string }) => {
    await app.tessera.publish('chat', { text: args.text });
    return true;
  };
  await app.register(tessera<Context>, {
    schema,
    sessions: fastifySessions({ store, secret: SECRET, userId: (data) => data.userId as string | undefined }),
    origins: [ORIGIN],
    limits,
    context: (input) => {
      transports.push(input.transport);
      return { session: input.session };
    },
  });
  app.post<{ Params: { user: string } }>('/login/:user', async (request) => {
    request.session.set('userId', request.params.user);
    await request.session.save();
    return { ticket: app.tessera.issueTicket({ id: request.session.sessionId, userId: request.params.user }) };
  });
  app.post('/logout', async (request) => {
    const id = request.session.sessionId;
    await request.session.destroy();
    await app.tessera.endSessions([id]);
    return { ok: true };
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    base,
    async login(user) {
      const response = await fetch(`${base}/login/${user}`, { method: 'POST' });
      const cookie = response.headers.get('set-cookie')?.split(';')[0];
      assert.ok(cookie);
      return { cookie, ticket: ((await response.json()) as { ticket: string }).ticket };
    },
    send: (text) =>
      fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'mutation ($t: String!) { send(text: $t) }', variables: { t: text } }),
      }),
  };
}

describe('tessera/fastify: GraphQL over SSE', () => {
  let app: FastifyInstance;
  let base: string;
  let login: (user: string) => Promise<string>;
  let send: (text: string) => Promise<Response>;
  before(async () => {
    const started = await startApp({ maxConnectionsPerUser: 2 });
    app = started.app;
    base = started.base;
    login = async (user) => (await started.login(user)).cookie;
    send = started.send;
  });
  after(() => app.close());

  for (const singleConnection of [false, true]) {
    it(`${singleConnection ? 'single connection' : 'distinct connections'}: events reach the stream and a socket of the same group; logout ends the stream`, { timeout: 20_000 }, async () => {
      const cookie = await login(singleConnection ? 'sam' : 'dana');
      const client = createClient({ url: `${base}/graphql`, singleConnection, headers: { cookie, origin: ORIGIN }, retryAttempts: 2, retry: async () => {} });
      const results: ExecutionResult[] = [];
      let ended: string | undefined;
      client.subscribe({ query: 'subscription { messages { text } }' }, { next: (r) => void results.push(r as ExecutionResult), complete: () => void (ended = 'complete'), error: (e) => void (ended = `error ${String(e)}`) });
      const socket = await RawClient.open(`${base.replace('http', 'ws')}/graphql`);
      await socket.init();
      socket.subscribe('1', 'subscription { messages { text } }');
      await sleep(300);
      assert.equal((await send('one')).status, 200);
      await until('the event on the stream', () => results.length >= 1);
      assert.deepEqual(results[0], { data: { messages: { text: 'one' } } });
      const frame = await socket.next((message) => message.type === 'next');
      assert.deepEqual(frame.payload, { data: { messages: { text: 'one' } } });
      assert.equal(app.tessera.engine.gauges().fanoutGroups, 1, 'the stream and the socket share one fan-out group');
      await fetch(`${base}/logout`, { method: 'POST', headers: { cookie } });
      await until('the end', () => ended !== undefined);
      assert.equal(ended, 'complete');
      assert.equal(results.at(-1)?.errors?.[0]?.message, 'session ended');
      socket.close();
      client.dispose();
    });
  }

  it('the per-user cap counts sockets and streams together (WS_MAX_CONNECTIONS_PER_USER)', { timeout: 20_000 }, async () => {
    const cookie = await login('capped');
    const open = () =>
      fetch(`${base}/graphql?query=${encodeURIComponent('subscription { messages { text } }')}`, {
        headers: { accept: 'text/event-stream', cookie, origin: ORIGIN },
      });
    const first = await open();
    assert.equal(first.status, 200);
    const socket = await RawClient.open(`${base.replace('http', 'ws')}/graphql`, { origin: ORIGIN, headers: { cookie } });
    await socket.init();
    const third = await open();
    assert.equal(third.status, 429, 'a stream past the cap, counting the socket');
    await third.text();
    await first.body?.cancel();
    socket.close();
  });
});

describe('tessera/fastify: SSE limits (keep-alive, slow consumer, operations per stream, refused tickets)', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp({ keepAliveMs: 100, maxBufferedBytes: 64 * 1024, maxSubscriptionsPerConnection: 1 });
  });
  after(() => t.app.close());

  const stream = (headers: Record<string, string>) =>
    new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const request = httpRequest(`${t.base}/graphql?query=${encodeURIComponent('subscription { messages { text } }')}`, { headers: { accept: 'text/event-stream', ...headers } });
      request.on('response', resolve).on('error', reject).end();
    });

  it('keep-alive comments every keepAliveMs on an idle stream', async () => {
    const { ticket } = await t.login('kai');
    const response = await stream({ authorization: `Bearer ${ticket}` });
    assert.equal(response.statusCode, 200);
    let text = '';
    response.setEncoding('utf8').on('data', (chunk: string) => void (text += chunk));
    await sleep(450);
    assert.ok(text.split(':\n\n').length - 1 >= 3, `a first comment and keep-alives: ${JSON.stringify(text)}`);
    response.destroy();
  });

  it('a stream whose client does not read is ended past maxBufferedBytes (slow consumer), without a complete', { timeout: 30_000 }, async () => {
    const { ticket } = await t.login('slow');
    const response = await stream({ authorization: `Bearer ${ticket}` });
    assert.equal(response.statusCode, 200);
    response.pause(); // reads nothing: the kernel's buffers fill, then the response's
    const ended = new Promise<void>((resolve) => response.socket.once('close', () => resolve()));
    let isEnded = false;
    void ended.then(() => (isEnded = true));
    const big = 'x'.repeat(200_000);
    for (let i = 0; i < 200 && !isEnded && t.app.tessera.sse.streamCount > 0; i++) await t.send(big);
    await until('the server to end the stream', () => t.app.tessera.sse.streamCount === 0, 10_000);
    response.resume();
    response.destroy();
  });

  it('past maxSubscriptionsPerConnection an operation gets SUBSCRIPTION_LIMIT on the stream (single connection), not a failed request', { timeout: 20_000 }, async () => {
    const { cookie } = await t.login('ops');
    const client = createClient({ url: `${t.base}/graphql`, singleConnection: true, headers: { cookie, origin: ORIGIN }, retryAttempts: 0 });
    const first: ExecutionResult[] = [];
    const second: ExecutionResult[] = [];
    let secondEnded = false;
    client.subscribe({ query: 'subscription { messages { text } }' }, { next: (r) => void first.push(r as ExecutionResult), complete: () => {}, error: () => {} });
    await sleep(200);
    client.subscribe({ query: 'subscription { messages { text } }' }, { next: (r) => void second.push(r as ExecutionResult), complete: () => void (secondEnded = true), error: () => void (secondEnded = true) });
    await until('the second to end', () => secondEnded);
    assert.equal(second[0]?.errors?.[0]?.extensions?.['code'], 'SUBSCRIPTION_LIMIT');
    await t.send('still here');
    await until('the first still running', () => first.length >= 1);
    assert.deepEqual(first[0], { data: { messages: { text: 'still here' } } });
    client.dispose();
  });

  it('a bad or replayed ticket is 401 with the reason, and no stream', async () => {
    const { ticket } = await t.login('tix');
    const bad = await fetch(`${t.base}/graphql?query=${encodeURIComponent('subscription { messages { text } }')}`, { headers: { accept: 'text/event-stream', authorization: 'Bearer t1.nonsense' } });
    assert.equal(bad.status, 401);
    const used = await stream({ authorization: `Bearer ${ticket}` });
    assert.equal(used.statusCode, 200);
    used.destroy();
    const replayed = await fetch(`${t.base}/graphql?query=${encodeURIComponent('subscription { messages { text } }')}`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${ticket}` } });
    assert.equal(replayed.status, 401);
    const body = (await replayed.json()) as { errors: { message: string; extensions: { code: string } }[] };
    assert.equal(body.errors[0]?.extensions.code, 'UNAUTHENTICATED');
    assert.match(body.errors[0]?.message ?? '', /ticket/);
  });

  it("tells the context function a stream's operations came over 'sse'", { timeout: 20_000 }, async () => {
    const transports: string[] = [];
    const own = await startApp({}, transports);
    try {
      const { cookie } = await own.login('lee');
      const client = createClient({ url: `${own.base}/graphql`, headers: { cookie, origin: ORIGIN }, retryAttempts: 0 });
      const result = await new Promise<ExecutionResult>((resolve, reject) => {
        let last: ExecutionResult | undefined;
        client.subscribe({ query: '{ me }' }, { next: (r) => void (last = r as ExecutionResult), complete: () => (last === undefined ? reject(new Error('no result')) : resolve(last)), error: reject });
      });
      assert.deepEqual(result, { data: { me: 'lee' } });
      assert.ok(transports.includes('sse'), `the context function saw ${JSON.stringify(transports)}`);
      assert.ok(!transports.includes('socket'), 'no socket context for a stream');
      client.dispose();
    } finally {
      await own.app.close();
    }
  });
});
