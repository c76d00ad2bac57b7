/**
 * Every socket limit, each with its clear error or close reason; and one
 * misbehaving client never disturbs the others.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ANNOUNCEMENTS = 'subscription { systemAnnouncements { id message } }';

describe('socket limits', () => {
  let server: TestServer;
  const open: RawClient[] = [];
  const connect = async (http?: HttpClient) => {
    const client = await RawClient.open(server.wsUrl);
    open.push(client);
    await client.init(http === undefined ? undefined : { token: await http.ticket() });
    return client;
  };
  const announce = (id: string, message = id) =>
    server.tessera.services.publisher.publish('system_announcements', { id, message, createdAt: new Date().toISOString() });
  const signedUp = async () => {
    const http = new HttpClient(server.url);
    const { id } = await http.register();
    return { http, id };
  };

  before(async () => {
    server = await startServer({
      WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3',
      WS_MAX_CONNECTIONS_PER_USER: '2',
      WS_MESSAGES_PER_SECOND: '20',
      WS_MAX_BUFFERED_BYTES: '65536',
    });
  });
  after(async () => {
    for (const client of open) client.close();
    await server.close();
  });

  test('WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: one more subscribe gets an error SUBSCRIPTION_LIMIT; the socket and its subscriptions stay', async () => {
    const { http } = await signedUp();
    const client = await connect(http);
    for (const id of ['a', 'b', 'c']) client.subscribe(id, ANNOUNCEMENTS);
    client.subscribe('d', ANNOUNCEMENTS);
    const refused = await client.next((m) => m.id === 'd');
    assert.equal(refused.type, 'error');
    assert.equal(refused.payload[0].extensions.code, 'SUBSCRIPTION_LIMIT');
    await announce('limit-1');
    for (const id of ['a', 'b', 'c']) assert.equal((await client.next((m) => m.id === id)).payload.data.systemAnnouncements.id, 'limit-1');
    // A completed subscription frees its slot.
    client.send({ type: 'complete', id: 'a' });
    client.subscribe('e', ANNOUNCEMENTS);
    await sleep(50);
    await announce('limit-2');
    assert.equal((await client.next((m) => m.id === 'e')).payload.data.systemAnnouncements.id, 'limit-2');
    await client.expectNothing(50, (m) => m.id === 'a' || m.id === 'd');
  });

  test('WS_MAX_CONNECTIONS_PER_USER: the next connection_init of that user closes with 4429 "too many connections for this user"', async () => {
    const { http } = await signedUp();
    const first = await connect(http);
    await connect(http);
    const third = await RawClient.open(server.wsUrl);
    open.push(third);
    third.send({ type: 'connection_init', payload: { token: await http.ticket() } });
    assert.deepEqual(await third.waitForClose(), { code: CloseCode.TooManyRequests, reason: CloseReason.tooManyConnections });
    // Others users and anonymous sockets are not counted against this user.
    const { http: other } = await signedUp();
    await connect(other);
    await connect();
    // Closing one frees a slot.
    first.close();
    await first.closed;
    await sleep(50);
    await connect(http);
  });

  test('WS_MESSAGES_PER_SECOND: a flood of messages closes with 4429 "too many messages per second"', async () => {
    const client = await connect();
    for (let i = 0; i < 200; i++) client.send({ type: 'ping' });
    assert.deepEqual(await client.waitForClose(), { code: CloseCode.TooManyRequests, reason: CloseReason.tooManyMessages });
    const pongs = client.messages.filter((m) => m.type === 'pong').length;
    assert.ok(pongs >= 20 && pongs <= 45, `the burst allowance was answered (${pongs} pongs), then the socket closed`);
  });

  test('WS_MESSAGES_PER_SECOND: a client below the rate is never closed', async () => {
    const client = await connect();
    for (let i = 0; i < 15; i++) {
      client.send({ type: 'ping' });
      await sleep(60);
    }
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    assert.equal(client.messages.filter((m) => m.type === 'pong').length, 15);
  });

  test('WS_MAX_BUFFERED_BYTES: a client that stops reading is closed with 1013 once its unread output passes the limit; a reading client is not', async () => {
    const { http } = await signedUp();
    const slow = await connect(http);
    const reader = await connect((await signedUp()).http);
    slow.subscribe('s', ANNOUNCEMENTS);
    reader.subscribe('r', ANNOUNCEMENTS);
    await sleep(50);
    const before = server.tessera.engine.connectionCount;
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // Under the 64 KiB limit, so that the reader gets every one.
    const big = 'x'.repeat(16 * 1024);
    let published = 0;
    // The kernel's socket buffers take a few MB first; then the server's own buffer grows.
    while (server.tessera.engine.connectionCount === before && published < 3000) {
      await announce(`big-${published}`, big);
      published++;
      await sleep(1);
    }
    assert.equal(server.tessera.engine.connectionCount, before - 1, `the slow consumer was dropped after ${published} announcements`);
    console.log(`[slow consumer] dropped after ${published} announcements of 16 KiB`);
    await announce('after-the-drop');
    published++;
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    assert.deepEqual(await slow.waitForClose(10_000), { code: CloseCode.TryAgainLater, reason: CloseReason.slowConsumer });
    assert.ok(slow.messages.length < published, 'nothing is queued for it once dropped');
    assert.ok(!slow.messages.some((m) => m.payload?.data?.systemAnnouncements?.id === 'after-the-drop'));
    // The reader got every announcement and is still subscribed.
    const seen = async () => reader.messages.filter((m) => m.id === 'r').length;
    const deadline = Date.now() + 10_000;
    while ((await seen()) < published && Date.now() < deadline) await sleep(20);
    assert.equal(await seen(), published);
    assert.equal(reader.ws.readyState, WebSocket.OPEN);
  });

  test('WS_MAX_BUFFERED_BYTES: a message that would take a socket past the limit is not queued at all: the socket closes with 1013 instead', async () => {
    const { http } = await signedUp();
    const client = await connect(http);
    const other = await connect((await signedUp()).http);
    client.subscribe('s', ANNOUNCEMENTS);
    other.subscribe('o', 'subscription { accountsUserCount }');
    await sleep(50);
    await announce('small');
    assert.equal((await client.next((m) => m.id === 's')).payload.data.systemAnnouncements.id, 'small');
    // A reading client, an empty buffer: but this one message alone is larger than the 64 KiB limit.
    await announce('huge', 'y'.repeat(80 * 1024));
    assert.deepEqual(await client.waitForClose(), { code: CloseCode.TryAgainLater, reason: CloseReason.slowConsumer });
    assert.ok(!client.messages.some((m) => m.id === 's'), 'the oversized message never reached the client');
    assert.equal(other.ws.readyState, WebSocket.OPEN, 'other sockets are untouched');
  });

  test('1,000 garbage frames from one client close it with 4400 and leave the other clients’ streams intact', async () => {
    const watchers = [];
    for (let i = 0; i < 3; i++) {
      const { http, id } = await signedUp();
      const client = await connect(http);
      client.subscribe('news', ANNOUNCEMENTS);
      client.subscribe('count', 'subscription { accountsUserCount }');
      watchers.push({ client, id });
    }
    await sleep(50);
    const attacker = await connect();
    const garbage = (i: number): string | Buffer => {
      switch (i % 6) {
        case 0:
          return randomBytes(64);
        case 1:
          return '{"type":';
        case 2:
          return JSON.stringify({ type: 'subscribe', id: i, payload: {} });
        case 3:
          return JSON.stringify({ type: 'complete', id: 'x'.repeat(1000) });
        case 4:
          return 'null';
        default:
          return JSON.stringify({ type: 'connection_init', payload: [i] });
      }
    };
    let sent = 0;
    let step = 0;
    const publishing = (async () => {
      for (step = 0; step < 20; step++) {
        await announce(`during-${step}`);
        for (const watcher of watchers) await server.tessera.services.publisher.publish(`user_count:${watcher.id}`, 100 + step);
        await sleep(10);
      }
    })();
    for (; sent < 1000 && attacker.ws.readyState === WebSocket.OPEN; sent++) {
      const frame = garbage(sent);
      attacker.ws.send(frame, { binary: Buffer.isBuffer(frame) });
    }
    for (; sent < 1000; sent++) attacker.ws.send('garbage after close');
    const closed = await attacker.waitForClose();
    assert.ok(closed.code === CloseCode.BadRequest || closed.code === 1007, `closed with ${closed.code} ${closed.reason}`);
    await publishing;
    for (const { client } of watchers) {
      const news = client.messages.filter((m) => m.id === 'news').map((m) => m.payload.data.systemAnnouncements.id);
      const counts = client.messages.filter((m) => m.id === 'count').map((m) => m.payload.data.accountsUserCount);
      while (news.length < 20 || counts.length < 20) {
        const next = await client.next((m) => m.id === 'news' || m.id === 'count');
        if (next.id === 'news') news.push(next.payload.data.systemAnnouncements.id);
        else counts.push(next.payload.data.accountsUserCount);
      }
      assert.deepEqual(news, Array.from({ length: 20 }, (_, i) => `during-${i}`));
      assert.deepEqual(counts, Array.from({ length: 20 }, (_, i) => 100 + i));
      assert.equal(client.ws.readyState, WebSocket.OPEN);
    }
  });

  test('the same 1,000 garbage frames over 1,000 sockets, one each, are each refused and the server keeps serving', async () => {
    const { http } = await signedUp();
    const watcher = await connect(http);
    watcher.subscribe('news', ANNOUNCEMENTS);
    const batch = 50;
    for (let start = 0; start < 1000; start += batch) {
      const clients = await Promise.all(Array.from({ length: batch }, () => RawClient.open(server.wsUrl)));
      for (const [i, client] of clients.entries()) client.send((start + i) % 2 === 0 ? '{' : { type: 'next', id: '1', payload: {} });
      const closes = await Promise.all(clients.map((client) => client.waitForClose()));
      for (const close of closes) assert.equal(close.code, CloseCode.BadRequest);
    }
    await announce('after-the-storm');
    assert.equal((await watcher.next((m) => m.id === 'news')).payload.data.systemAnnouncements.id, 'after-the-storm');
  });
});

describe('keep-alive', () => {
  test('WS_KEEPALIVE_MS: a peer that stops answering pings is terminated; a live one stays', async () => {
    const server = await startServer({ WS_KEEPALIVE_MS: '100' });
    try {
      const live = await RawClient.open(server.wsUrl);
      await live.init();
      const deadWs = new WebSocket(server.wsUrl, 'graphql-transport-ws', { autoPong: false });
      const deadClosed = new Promise<number>((resolve) => deadWs.on('close', (code) => resolve(code)));
      await new Promise((resolve) => deadWs.once('open', resolve));
      deadWs.send(JSON.stringify({ type: 'connection_init' }));
      const started = Date.now();
      const code = await deadClosed;
      assert.equal(code, 1006, 'terminated, without a close frame');
      assert.ok(Date.now() - started < 1000, 'within a few keep-alive intervals');
      await sleep(300);
      assert.equal(live.ws.readyState, WebSocket.OPEN);
      assert.equal(server.tessera.engine.connectionCount, 1);
      live.close();
    } finally {
      await server.close();
    }
  });
});
