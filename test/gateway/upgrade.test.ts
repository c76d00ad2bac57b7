/**
 * The upgrade checks answer with a plain HTTP status before any WebSocket
 * exists; and the session cookie authenticates a socket only from an allowed Origin.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { UpgradeRefusal } from '../../src/gateway/upgrade/upgrade-checks.js';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly upgraded: boolean;
}

/** A WebSocket handshake by hand with http.request: resolves the HTTP answer, or `upgraded` if a socket opened. */
function handshake(server: TestServer, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: server.port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': 'graphql-transport-ws',
        ...headers,
      },
    });
    req.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, body: '', upgraded: true });
    });
    req.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, upgraded: false }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('upgrade refusals', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ WS_MAX_CONNECTIONS_PER_IP: '3' });
  });
  after(() => server.close());

  test('an allowed handshake upgrades (the helper can see a socket open)', async () => {
    const answer = await handshake(server, '/graphql', { Origin: server.url });
    assert.deepEqual(answer, { status: 101, body: '', upgraded: true });
  });

  test('404 for an upgrade on any path but /graphql, and no socket', async () => {
    for (const path of ['/', '/graphql/', '/graphqlx', '/subscriptions', '/GRAPHQL']) {
      assert.deepEqual(await handshake(server, path), { status: 404, body: `${UpgradeRefusal.notFound}\n`, upgraded: false }, path);
    }
  });

  test('403 for an Origin outside ALLOWED_ORIGINS (Cross-Site WebSocket Hijacking), and no socket', async () => {
    for (const origin of ['https://evil.example', 'http://127.0.0.1:1', 'null', `${server.url}.evil.example`]) {
      assert.deepEqual(
        await handshake(server, '/graphql', { Origin: origin }),
        { status: 403, body: `${UpgradeRefusal.origin}\n`, upgraded: false },
        origin,
      );
    }
    const lines = server.logs.filter((line) => line.includes('websocket upgrade refused') && line.includes('evil.example'));
    assert.ok(lines.length > 0 && lines.every((line) => line.includes('"status":403')));
  });

  test('400 for a token in the URL query: the reason says to use connection_init, and the token is never logged', async () => {
    const user = new HttpClient(server.url);
    await user.register();
    const ticket = await user.ticket();
    for (const query of [`token=${ticket}`, `ticket=${ticket}`, `operationName=x&access_token=${ticket}`, `Authorization=${ticket}`]) {
      const answer = await handshake(server, `/graphql?${query}`, { Origin: server.url });
      assert.equal(answer.status, 400, query);
      assert.equal(answer.upgraded, false);
      assert.match(answer.body, /connection_init/);
    }
    const refusals = server.logs.filter((line) => line.includes('websocket upgrade refused') && line.includes('"status":400'));
    assert.equal(refusals.length, 4, 'each refusal is logged');
    for (const part of ticket.split('.').slice(1)) {
      assert.ok(!server.logs.some((line) => line.includes(part)), 'no part of the ticket is in any log line');
    }
  });

  test('an ordinary query parameter is not mistaken for a credential', async () => {
    assert.equal((await handshake(server, '/graphql?operationName=Counts', { Origin: server.url })).status, 101);
  });

  test('429 past WS_MAX_CONNECTIONS_PER_IP open sockets from one address; a slot frees when one closes', async () => {
    const clients = [];
    for (let i = 0; i < 3; i++) clients.push(await RawClient.open(server.wsUrl));
    const answer = await handshake(server, '/graphql');
    assert.deepEqual(answer, { status: 429, body: `${UpgradeRefusal.tooManyFromAddress}\n`, upgraded: false });
    clients[0]!.close();
    await clients[0]!.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await RawClient.open(server.wsUrl);
    await again.init();
    for (const client of [...clients.slice(1), again]) client.close();
    await Promise.all([...clients, again].map((client) => client.closed));
  });

  test('handshakes that ws itself rejects (bad key, bad version) do not use up the per-address cap', async () => {
    for (let i = 0; i < 5; i++) {
      const bad = await handshake(server, '/graphql', { 'Sec-WebSocket-Key': 'not-a-key' });
      assert.equal(bad.status, 400);
      assert.equal((await handshake(server, '/graphql', { 'Sec-WebSocket-Version': '7' })).status, 400);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const clients = [];
    for (let i = 0; i < 3; i++) clients.push(await RawClient.open(server.wsUrl));
    for (const client of clients) client.close();
    await Promise.all(clients.map((client) => client.closed));
  });

  test('a raw TCP client that sends garbage instead of a handshake does not crash the server', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.end('GET /graphql HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x00\xff garbage');
      });
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
      socket.resume();
    });
    const client = await RawClient.open(server.wsUrl);
    await client.init();
    client.close();
    await client.closed;
  });
});

describe('cookie authentication on the upgrade', () => {
  let server: TestServer;
  let user: HttpClient;
  let userId: string;
  before(async () => {
    server = await startServer({ ALLOWED_ORIGINS: 'https://app.example' });
    user = new HttpClient(server.url);
    userId = (await user.register()).id;
  });
  after(() => server.close());

  async function whoAmI(options: Parameters<typeof RawClient.open>[1]): Promise<unknown> {
    const client = await RawClient.open(server.wsUrl, options);
    await client.init();
    client.subscribe('me', '{ accountsMe { user { id } } }');
    const answer = await client.next((m) => m.id === 'me');
    client.close();
    return answer.payload.data.accountsMe;
  }

  test('a valid session cookie from an allowed Origin authenticates without a ticket', async () => {
    const cookie = user.cookieHeader as string;
    assert.deepEqual(await whoAmI({ headers: { cookie }, origin: 'https://app.example' }), { user: { id: userId } });
  });

  test('the same cookie without an Origin header is ignored: the socket is anonymous', async () => {
    const cookie = user.cookieHeader as string;
    assert.equal(await whoAmI({ headers: { cookie } }), null);
  });

  test('the same cookie from a foreign Origin gets no socket at all (403)', async () => {
    const cookie = user.cookieHeader as string;
    const answer = await handshake(server, '/graphql', { cookie, Origin: 'https://evil.example' });
    assert.deepEqual(answer, { status: 403, body: `${UpgradeRefusal.origin}\n`, upgraded: false });
  });

  test('a stale or garbled cookie from an allowed Origin is anonymous, not refused', async () => {
    for (const cookie of ['tessera_session=not-a-secret', 'tessera_session=', 'other=1']) {
      assert.equal(await whoAmI({ headers: { cookie }, origin: 'https://app.example' }), null, cookie);
    }
  });

  test('a ticket in connection_init wins over the cookie', async () => {
    const other = new HttpClient(server.url);
    const otherId = (await other.register()).id;
    const client = await RawClient.open(server.wsUrl, { headers: { cookie: user.cookieHeader as string }, origin: 'https://app.example' });
    await client.init({ token: await other.ticket() });
    client.subscribe('me', '{ accountsMe { user { id } } }');
    assert.deepEqual((await client.next((m) => m.id === 'me')).payload.data.accountsMe, { user: { id: otherId } });
    client.close();
  });

  test('a cookie socket whose session ends between the upgrade and connection_init is not bound to the ended session', async () => {
    const leaving = new HttpClient(server.url);
    await leaving.register();
    const client = await RawClient.open(server.wsUrl, { headers: { cookie: leaving.cookieHeader as string }, origin: 'https://app.example' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await leaving.gql('mutation { accountsLogout }');
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.send({ type: 'connection_init' });
    const answer = await client.next((m) => m.type === 'connection_ack');
    if (answer !== undefined) {
      client.subscribe('me', '{ accountsMe { user { id } } }');
      const me = await client.next((m) => m.id === 'me');
      assert.equal(me?.payload.data.accountsMe, null, 'acknowledged, but only as anonymous');
      client.close();
    } else {
      assert.deepEqual(await client.waitForClose(), { code: 4401, reason: 'session ended' });
    }
  });

  test('the cookie of a logged-out session is anonymous', async () => {
    const gone = new HttpClient(server.url);
    await gone.register();
    const cookie = gone.cookieHeader as string;
    await gone.gql('mutation { accountsLogout }');
    assert.equal(await whoAmI({ headers: { cookie }, origin: 'https://app.example' }), null);
  });
});
