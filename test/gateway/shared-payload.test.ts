/**
 * The shared payload over real sockets: a 64 KiB+ payload written to many sockets as
 * head + the same Buffer arrives intact and in order with ws's own frames, and the
 * bytes it leaves unread are counted by ws.bufferedAmount (which the slow-consumer
 * check and the output budget read). Then the same through a Tessera server.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { NextPayload } from '../../src/gateway/fanout/next-payload.js';
import { nextPrefix } from '../../src/gateway/protocol/frames.js';
import { writeNext } from '../../src/gateway/ws-next-writer.js';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const SOCKETS = 200;

interface Accepted {
  readonly ws: WebSocket;
  readonly socket: Duplex;
}

describe('a shared payload to many real sockets', () => {
  let http: Server;
  let wss: WebSocketServer;
  const accepted: Accepted[] = [];
  const clients: { ws: WebSocket; frames: string[]; pings: number }[] = [];

  before(async () => {
    wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
    http = createServer();
    http.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => accepted.push({ ws, socket })));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
    for (let i = 0; i < SOCKETS; i += 1) {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const client = { ws, frames: [] as string[], pings: 0 };
      ws.on('message', (data, isBinary) => {
        assert.equal(isBinary, false, 'text frames');
        client.frames.push(data.toString());
      });
      ws.on('ping', () => client.frames.push('<ping>'));
      clients.push(client);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    }
    while (accepted.length < SOCKETS) await new Promise((resolve) => setTimeout(resolve, 10));
  });

  after(async () => {
    for (const { ws } of clients) ws.terminate();
    wss.close();
    await new Promise((resolve) => http.close(resolve));
  });

  test('arrive intact, in order with ws.send and ping frames, at 16- and 64-bit lengths', async () => {
    const big = new NextPayload(JSON.stringify({ data: { message: 'y'.repeat(70_000) } }));
    const multibyte = new NextPayload(JSON.stringify({ data: { message: 'é✓😀'.repeat(20_000) } }));
    const medium = new NextPayload(JSON.stringify({ data: { message: 'm'.repeat(1000) } }));
    // All written in one turn, so the kernel's buffers fill and later chunks wait in the streams' queues.
    for (const [i, { ws, socket }] of accepted.entries()) {
      const prefix = nextPrefix(i % 3 === 0 ? `sub-ünï-${i}` : '1');
      writeNext(ws, socket, prefix, big);
      ws.send('{"type":"pong"}');
      writeNext(ws, socket, prefix, multibyte);
      ws.ping();
      writeNext(ws, socket, prefix, medium);
      ws.send('{"id":"x","type":"complete"}');
    }
    const deadline = Date.now() + 30_000;
    while (clients.some((c) => c.frames.length < 6) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const [i, client] of clients.entries()) {
      // Clients are matched to server sockets by the prefix each received: accept order may differ.
      assert.equal(client.frames.length, 6, `client ${i} got all six frames`);
      const first = JSON.parse(client.frames[0]!);
      const id: string = first.id;
      assert.ok(id === '1' || id.startsWith('sub-ünï-'));
      assert.deepEqual(first, { id, type: 'next', payload: { data: { message: 'y'.repeat(70_000) } } });
      assert.equal(client.frames[1], '{"type":"pong"}');
      assert.deepEqual(JSON.parse(client.frames[2]!), { id, type: 'next', payload: { data: { message: 'é✓😀'.repeat(20_000) } } });
      assert.equal(client.frames[3], '<ping>');
      assert.deepEqual(JSON.parse(client.frames[4]!), { id, type: 'next', payload: { data: { message: 'm'.repeat(1000) } } });
      assert.equal(client.frames[5], '{"id":"x","type":"complete"}');
    }
  });

  test('ws.bufferedAmount counts the written bytes until the kernel takes them', async () => {
    const payload = new NextPayload(JSON.stringify({ data: { message: 'z'.repeat(70_000) } }));
    const { ws, socket } = accepted[0]!;
    const head = payload.head(nextPrefix('1'));
    // Corked from outside, nothing reaches the kernel: exactly the frame is counted.
    socket.cork();
    const before = ws.bufferedAmount;
    writeNext(ws, socket, nextPrefix('1'), payload);
    assert.equal(ws.bufferedAmount - before, head.length + payload.bytes.length);
    socket.uncork();
    // 200 frames (14 MB) in one turn: more than loopback's kernel buffers take at once, so
    // most wait in the stream, counted, and the count falls to 0 as the client reads them.
    const target = accepted[1]!;
    for (let i = 0; i < 200; i += 1) writeNext(target.ws, target.socket, nextPrefix('1'), payload);
    assert.ok(target.ws.bufferedAmount > 1_000_000, `unread bytes are counted (${target.ws.bufferedAmount})`);
    assert.equal(target.ws.bufferedAmount, target.socket.writableLength, 'all of it in the stream, none hidden in ws');
    const deadline = Date.now() + 30_000;
    while (target.ws.bufferedAmount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(target.ws.bufferedAmount, 0, 'drained once the client has read it');
  });
});

describe('a 64 KiB+ announcement through Tessera to many subscribers', () => {
  const QUERY = 'subscription { systemAnnouncements { id message createdAt } }';
  let server: TestServer;
  const subscribers: RawClient[] = [];

  before(async () => {
    server = await startServer();
    const http = new HttpClient(server.url);
    await http.register();
    for (let i = 0; i < 20; i += 1) {
      const client = await RawClient.open(server.wsUrl, { origin: server.url });
      await client.init({ token: await http.ticket() });
      client.subscribe(i % 2 === 0 ? '1' : `ünï-${i}`, QUERY);
      client.send({ type: 'ping' });
      await client.next((m) => m.type === 'pong');
      subscribers.push(client);
    }
  });

  after(async () => {
    for (const client of subscribers) client.close();
    await server.close();
  });

  test('every subscriber reads each of three announcements intact, in order, then a pong', async () => {
    const announcements = [1, 2, 3].map((n) => ({
      id: `big-${n}`,
      message: `${n}:${'é✓😀'.repeat(7500)}${'x'.repeat(n * 1000)}`,
      createdAt: '2026-01-01T00:00:00.000Z',
    }));
    for (const announcement of announcements) await server.tessera.services.publisher.publish('system_announcements', announcement);
    for (const [i, client] of subscribers.entries()) {
      const id = i % 2 === 0 ? '1' : `ünï-${i}`;
      for (const announcement of announcements) {
        const frame = await client.next((m) => m.type === 'next', 15_000);
        assert.deepEqual(frame, { id, type: 'next', payload: { data: { systemAnnouncements: announcement } } });
      }
      client.send({ type: 'ping' });
      assert.deepEqual(await client.next(undefined, 15_000), { type: 'pong' });
    }
  });
});
