/**
 * HTTP connection limits, with raw TCP sockets against a real server: a slow
 * body or slow headers are timed out (408, closed), one address cannot hold more
 * than HTTP_MAX_CONNECTIONS_PER_IP connections, and other clients are served meanwhile.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../helpers/server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RawConnection {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the server closed the connection, with the ms since it was opened. */
  readonly closed: Promise<number>;
}

async function rawConnect(port: number, localAddress = '127.0.0.1', allowHalfOpen = false): Promise<RawConnection> {
  const socket = connect({ port, host: '127.0.0.1', localAddress, allowHalfOpen });
  const opened = Date.now();
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - opened)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => text, closed };
}

/** A plain GET from `localAddress`: resolves the status and body. */
function get(port: number, path: string, localAddress = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A GET that must be refused: answered 429, or reset if the request was already sent when the server closed. */
async function assertRefused(port: number, localAddress = '127.0.0.1'): Promise<void> {
  const outcome = await get(port, '/healthz', localAddress).then(
    (answer) => answer.status,
    (error: NodeJS.ErrnoException) => error.code,
  );
  assert.ok(outcome === 429 || outcome === 'ECONNRESET', `refused (${outcome})`);
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref())]);
}

describe('HTTP timeouts', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ HTTP_REQUEST_TIMEOUT_MS: '1500', HTTP_HEADERS_TIMEOUT_MS: '700' });
  });
  after(async () => {
    await server.close();
  });

  it('HTTP_REQUEST_TIMEOUT_MS: a body that trickles in is answered 408 and closed; a normal client is served meanwhile', async () => {
    const slow = await rawConnect(server.port);
    slow.socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":');
    // Bytes keep coming, just too slowly to ever finish: an idle-socket timeout would not catch this.
    const trickle = setInterval(() => slow.socket.writable && slow.socket.write(' '), 100);
    try {
      await sleep(300);
      assert.deepEqual(await get(server.port, '/healthz'), { status: 200, body: '{"ok":true}' }, 'others are served meanwhile');
      const ms = await within(slow.closed, 8000, 'the slow body was cut off');
      assert.ok(ms >= 1400, `not before the timeout (${ms} ms)`);
      assert.match(slow.received(), /^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
    }
  });

  it('HTTP_HEADERS_TIMEOUT_MS: headers that never end are answered 408 and closed, sooner than the request timeout', async () => {
    const slow = await rawConnect(server.port);
    slow.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => slow.socket.writable && slow.socket.write('X-A: b\r\n'), 100);
    try {
      const ms = await within(slow.closed, 8000, 'the slow headers were cut off');
      assert.ok(ms >= 650 && ms < 1500 + 1000, `after the headers timeout (${ms} ms)`);
      assert.match(slow.received(), /^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
    }
  });

  it('a WebSocket is not cut by the request timeout: it outlives it and still answers', async () => {
    const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ type: 'connection_init' }));
    await sleep(2500);
    assert.equal(ws.readyState, WebSocket.OPEN);
    const pong = new Promise((resolve) => ws.on('message', (data) => JSON.parse(data.toString()).type === 'pong' && resolve(true)));
    ws.send(JSON.stringify({ type: 'ping' }));
    assert.equal(await within(pong, 3000, 'pong'), true);
    ws.close();
  });
});

describe('HTTP_MAX_CONNECTIONS_PER_IP', () => {
  let server: TestServer;
  const opened: RawConnection[] = [];
  before(async () => {
    server = await startServer({ HTTP_MAX_CONNECTIONS_PER_IP: '5' });
  });
  after(async () => {
    for (const connection of opened) connection.socket.destroy();
    await server.close();
  });

  it('past the cap a connection from that address is answered 429 and closed; other addresses are served; a freed slot is usable', async () => {
    for (let i = 0; i < 5; i++) opened.push(await rawConnect(server.port));
    await sleep(100);
    const refused = await rawConnect(server.port);
    const ms = await within(refused.closed, 3000, 'the sixth connection was closed');
    assert.ok(ms < 2000, `at once (${ms} ms)`);
    assert.match(refused.received(), /^HTTP\/1\.1 429 Too Many Requests\r\n[\s\S]*too many connections from this address\n$/);
    await assertRefused(server.port);
    // Another address (the loopback network is all local) is untouched.
    assert.deepEqual(await get(server.port, '/healthz', '127.0.0.2'), { status: 200, body: '{"ok":true}' });
    // The held connections still work.
    const held = opened[0] as RawConnection;
    held.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    for (const deadline = Date.now() + 3000; !held.received().includes('{"ok":true}') && Date.now() < deadline; ) await sleep(20);
    assert.match(held.received(), /^HTTP\/1\.1 200 /);
    // One closes: its slot is free again.
    (opened.pop() as RawConnection).socket.destroy();
    await sleep(100);
    assert.equal((await get(server.port, '/healthz')).status, 200);
    assert.ok(server.logs.some((line) => line.includes('HTTP connections refused: too many from this address')), 'the refusal is logged');
  });

  it('a refused connection’s request is never read or run', async () => {
    const before = (await get(server.port, '/healthz', '127.0.0.2')).status;
    assert.equal(before, 200);
    // Fill the slot freed by the previous test.
    opened.push(await rawConnect(server.port));
    await sleep(100);
    const email = `refused-${Date.now()}@example.com`;
    const body = JSON.stringify({ query: `mutation { accountsRegister(email: "${email}", password: "correct horse battery") { id } }` });
    const refused = await rawConnect(server.port);
    refused.socket.write(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await within(refused.closed, 3000, 'closed');
    await sleep(300);
    assert.ok(!server.logs.some((line) => line.includes('"statusCode":200') && line.includes('"method":"POST"')), 'no POST was answered');
    const row = await server.tessera.store.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    assert.equal(row, undefined, 'the mutation did not run');
  });

  it('WebSockets are not counted (they have WS_MAX_CONNECTIONS_PER_IP): more sockets than the HTTP cap open, and HTTP still answers', async () => {
    for (const connection of opened.splice(0)) connection.socket.destroy();
    await sleep(100);
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 8; i++) {
      const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws');
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send(JSON.stringify({ type: 'connection_init' }));
      sockets.push(ws);
    }
    assert.equal((await get(server.port, '/healthz')).status, 200);
    for (const ws of sockets) ws.close();
  });
});

describe('HTTP_MAX_CONNECTIONS_PER_IP behind a trusted proxy', () => {
  it('a peer TRUST_PROXY trusts (the load balancer) is not capped', async () => {
    const server = await startServer({ HTTP_MAX_CONNECTIONS_PER_IP: '2', TRUST_PROXY: '127.0.0.1' });
    const held: RawConnection[] = [];
    try {
      for (let i = 0; i < 4; i++) held.push(await rawConnect(server.port));
      assert.equal((await get(server.port, '/healthz')).status, 200);
      // An untrusted peer still is.
      for (let i = 0; i < 2; i++) held.push(await rawConnect(server.port, '127.0.0.3'));
      await sleep(100);
      await assertRefused(server.port, '127.0.0.3');
    } finally {
      for (const connection of held) connection.socket.destroy();
      await server.close();
    }
  });
});

describe('refused WebSocket upgrades', () => {
  it('a refused upgrade (404, 400, 403) is answered and its TCP connection closed by the server, even if the client never closes its side', async () => {
    const server = await startServer({});
    try {
      const connections = () => new Promise<number>((resolve, reject) => server.tessera.http.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
      const upgrade = (path: string, origin = server.url) =>
        `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nOrigin: ${origin}\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n';
      const cases: [string, string | undefined, RegExp][] = [
        ['/elsewhere', undefined, /^HTTP\/1\.1 404 /],
        ['/graphql?token=x', undefined, /^HTTP\/1\.1 400 /],
        ['/graphql', 'https://evil.example', /^HTTP\/1\.1 403 /],
      ];
      const clients: RawConnection[] = [];
      for (const [path, origin, status] of cases) {
        // Half-open allowed: this client never closes its side, even after the server's FIN.
        const client = await rawConnect(server.port, '127.0.0.1', true);
        clients.push(client);
        const ended = new Promise((resolve) => client.socket.once('end', resolve));
        client.socket.write(upgrade(path, origin));
        await within(ended, 3000, `${path}: answered and ended`);
        assert.match(client.received(), status);
      }
      const deadline = Date.now() + 3000;
      while ((await connections()) > 0 && Date.now() < deadline) await sleep(20);
      const left = await connections();
      // Before asserting, so that a failure does not also hold the server's shutdown.
      for (const client of clients) client.socket.destroy();
      assert.equal(left, 0, 'no socket left on the server');
    } finally {
      await server.close();
    }
  });
});
