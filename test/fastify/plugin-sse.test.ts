/**
 * GraphQL over SSE through tessera/fastify on a real Fastify app with
 * @fastify/session: graphql-sse's client in both modes with the session cookie
 * (from the allowed Origin), events published by a mutation reach a stream and a
 * socket of the same fan-out group, logout (`endSessions`) ends the stream with
 * "session ended"; the per-user cap counts sockets and streams together.
 */
import assert from 'node:assert/strict';
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

describe('tessera/fastify: GraphQL over SSE', () => {
  let app: FastifyInstance;
  let base: string;
  before(async () => {
    app = Fastify();
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
      limits: { maxConnectionsPerUser: 2 },
    });
    app.post<{ Params: { user: string } }>('/login/:user', async (request) => {
      request.session.set('userId', request.params.user);
      await request.session.save();
      return { ok: true };
    });
    app.post('/logout', async (request) => {
      const id = request.session.sessionId;
      await request.session.destroy();
      await app.tessera.endSessions([id]);
      return { ok: true };
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(() => app.close());

  async function login(user: string): Promise<string> {
    const response = await fetch(`${base}/login/${user}`, { method: 'POST' });
    const cookie = response.headers.get('set-cookie')?.split(';')[0];
    assert.ok(cookie);
    return cookie;
  }
  const send = (text: string) =>
    fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation ($t: String!) { send(text: $t) }', variables: { t: text } }) });

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
