/**
 * tessera/fastify on a real Fastify app with @fastify/session: GraphQL over
 * HTTP (POST, GET, the CSRF and Origin rules, the document limits) and the
 * gateway's socket on the same path (cookie and ticket), logout, close.
 */
import assert from 'node:assert/strict';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildSchema } from 'graphql';
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

interface Context {
  readonly session: GatewaySession | undefined;
}

function chatSchema() {
  const schema = buildSchema(`
    type Query { me: String, echo(text: String!): String! }
    type Mutation { send(text: String!): Boolean! }
    type Message { text: String!, from: String! }
    type Subscription { messages: Message! }
  `);
  return declareTopics<Context>(schema, { messages: { scope: 'global', topic: () => 'chat' } });
}

describe('tessera/fastify', () => {
  let app: FastifyInstance;
  let base: string;
  let origin: string;
  before(async () => {
    app = Fastify();
    const store = new fastifySession.MemoryStore();
    await app.register(fastifyCookie);
    await app.register(fastifySession, { secret: SECRET, store, saveUninitialized: false, cookie: { secure: false, maxAge: 3_600_000 } });
    const schema = chatSchema();
    const root = {
      me: (_args: unknown, context: Context) => context.session?.userId ?? null,
      echo: ({ text }: { text: string }) => text,
      send: async ({ text }: { text: string }, context: Context) => {
        if (context.session === undefined) throw new Error('sign in first');
        await app.tessera.publish('chat', { text, from: context.session.userId });
        return true;
      },
    };
    // buildSchema has no resolvers: the root value's functions are them (graphql-js default resolver).
    for (const [name, field] of Object.entries({ ...schema.getQueryType()!.getFields(), ...schema.getMutationType()!.getFields() })) {
      field.resolve = (_source, args, context) => (root as Record<string, (a: any, c: Context) => unknown>)[name]!(args, context);
    }
    await app.register(tessera<Context>, {
      schema,
      sessions: fastifySessions({ store, secret: SECRET, userId: (data) => data.userId as string | undefined }),
      origins: ['http://app.example'],
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
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    origin = 'http://app.example';
  });
  after(() => app.close());

  async function login(user: string): Promise<{ cookie: string; ticket: string }> {
    const response = await fetch(`${base}/login/${user}`, { method: 'POST' });
    const cookie = response.headers.get('set-cookie')?.split(';')[0];
    assert.ok(cookie);
    return { cookie, ticket: ((await response.json()) as { ticket: string }).ticket };
  }

  const gql = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('POST and GET queries, with the session from the cookie', async () => {
    const { cookie } = await login('alice');
    const post = await gql({ query: '{ me }' }, { cookie });
    assert.equal(post.status, 200);
    assert.equal(post.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await post.json(), { data: { me: 'alice' } });
    const anonymous = await gql({ query: '{ me }' });
    assert.deepEqual(await anonymous.json(), { data: { me: null } });
    const get = await fetch(`${base}/graphql?query=${encodeURIComponent('query($t:String!){ echo(text:$t) }')}&variables=${encodeURIComponent('{"t":"hi"}')}`);
    assert.deepEqual(await get.json(), { data: { echo: 'hi' } });
  });

  it('a mutation over GET is 405; a subscription over HTTP is 400; a bad body 400', async () => {
    const get = await fetch(`${base}/graphql?query=${encodeURIComponent('mutation { send(text: "x") }')}`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    const sub = await gql({ query: 'subscription { messages { text } }' });
    assert.equal(sub.status, 400);
    const bad = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code, 'BAD_REQUEST');
  });

  it('CSRF: a text/plain POST and a cross-site GET are refused; a foreign Origin with a cookie is 403', async () => {
    const plain = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ me }' }) });
    assert.equal(plain.status, 400);
    assert.equal(((await plain.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code, 'CSRF_REJECTED');
    const crossSite = await fetch(`${base}/graphql?query=${encodeURIComponent('{ me }')}`, { headers: { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' } });
    assert.equal(crossSite.status, 400);
    const { cookie } = await login('mallory-target');
    const foreign = await gql({ query: '{ me }' }, { cookie, origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    const allowed = await gql({ query: '{ me }' }, { cookie, origin });
    assert.deepEqual(await allowed.json(), { data: { me: 'mallory-target' } });
  });

  it('the document limits apply over HTTP (aliases, the gateway\'s limits)', async () => {
    const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: me`).join(' ')} }`;
    const response = await gql({ query: aliases }, { accept: 'application/graphql-response+json' });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    assert.equal(body.errors[0]?.extensions.code, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('the socket on the same path: cookie from an allowed Origin, a ticket; events; logout closes with 4401', async () => {
    const alice = await login('alice2');
    const byCookie = await RawClient.open(`${base.replace('http', 'ws')}/graphql`, { origin, headers: { cookie: alice.cookie } });
    await byCookie.init();
    const bob = await login('bob2');
    const byTicket = await RawClient.open(`${base.replace('http', 'ws')}/graphql`);
    await byTicket.init({ token: bob.ticket });
    byCookie.subscribe('1', 'subscription { messages { text from } }');
    byTicket.subscribe('1', 'subscription { messages { text from } }');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sent = await gql({ query: 'mutation { send(text: "hello") }' }, { cookie: bob.cookie });
    assert.deepEqual(await sent.json(), { data: { send: true } });
    for (const client of [byCookie, byTicket]) {
      const next = await client.next((message) => message.type === 'next');
      assert.deepEqual(next.payload, { data: { messages: { text: 'hello', from: 'bob2' } } });
    }
    // A spent ticket does not open a second socket.
    const replay = await RawClient.open(`${base.replace('http', 'ws')}/graphql`);
    replay.send({ type: 'connection_init', payload: { token: bob.ticket } });
    assert.equal((await replay.waitForClose()).code, 4403);

    await fetch(`${base}/logout`, { method: 'POST', headers: { cookie: alice.cookie } });
    assert.deepEqual(await byCookie.waitForClose(), { code: 4401, reason: 'session ended' });
    byTicket.close();
  });

  it('an upgrade from a foreign Origin is refused', async () => {
    const { cookie } = await login('carol');
    await assert.rejects(RawClient.open(`${base.replace('http', 'ws')}/graphql`, { origin: 'http://evil.example', headers: { cookie } }), /upgrade refused: 403/);
  });

  it(
    'a session without expiry (a browser-session cookie: expiresAt Infinity) arms no timer',
    async () => {
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(warning.name);
      process.on('warning', onWarning);
      const local = Fastify();
      const session = { id: 's1', userId: 'u1', expiresAt: Number.POSITIVE_INFINITY };
      await local.register(tessera, { schema: chatSchema(), sessions: { fromCookie: async () => session, check: async () => ({ status: 'live' as const, session }) }, origins: ['http://app.example'] });
      const url = await local.listen({ port: 0, host: '127.0.0.1' });
      try {
        const client = await RawClient.open(`${url.replace('http', 'ws')}/graphql`, { origin: 'http://app.example', headers: { cookie: 'any=1' } });
        await client.init();
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(warnings.filter((name) => name === 'TimeoutOverflowWarning'), []);
      } finally {
        process.off('warning', onWarning);
        await local.close();
      }
    },
  );

  it('app.close() closes the sockets with 1001', async () => {
    const local = Fastify();
    await local.register(tessera, { schema: chatSchema(), sessions: { fromCookie: async () => undefined, check: async () => ({ status: 'ended' as const }) }, origins: [] });
    const url = await local.listen({ port: 0, host: '127.0.0.1' });
    assert.equal(typeof local.tessera.issueTicket, 'function');
    const client = await RawClient.open(`${url.replace('http', 'ws')}/graphql`);
    await client.init();
    await local.close();
    assert.equal((await client.waitForClose()).code, 1001);
  });
});
