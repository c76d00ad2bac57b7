/**
 * Unread output with real sockets that stop reading (their TCP socket paused)
 * and a real server: the process-wide budget WS_MAX_TOTAL_BUFFERED_BYTES closes
 * the largest holder first, and only as many as needed; readers are untouched;
 * a closed socket that still does not read is cut soon, not after ws's 30 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ANNOUNCEMENTS = 'subscription { systemAnnouncements { id message } }';
const MiB = 1024 * 1024;

type Paused = { _socket: { pause(): void; resume(): void } };
const pause = (client: RawClient) => (client.ws as unknown as Paused)._socket.pause();
const resume = (client: RawClient) => (client.ws as unknown as Paused)._socket.resume();

describe('WS_MAX_TOTAL_BUFFERED_BYTES', () => {
  let server: TestServer;
  const open: RawClient[] = [];
  const connect = async (subscriptions: number) => {
    const http = new HttpClient(server.url);
    await http.register();
    const client = await RawClient.open(server.wsUrl);
    open.push(client);
    await client.init({ token: await http.ticket() });
    for (let i = 0; i < subscriptions; i++) client.subscribe(`s${i}`, ANNOUNCEMENTS);
    return client;
  };
  const announce = (id: string, message = id) =>
    server.tessera.services.publisher.publish('system_announcements', { id, message, createdAt: new Date().toISOString() });
  const tcpConnections = () => new Promise<number>((resolve, reject) => server.tessera.http.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

  before(async () => {
    // Per socket: far more than the total, so that only the process-wide budget acts here.
    server = await startServer({ WS_MAX_BUFFERED_BYTES: String(256 * MiB), WS_MAX_TOTAL_BUFFERED_BYTES: String(8 * MiB) });
  });
  after(async () => {
    for (const client of open) client.close();
    await server.close();
  });

  test('past the budget the socket holding the most is closed with 1013 first; the smaller holders and a reader stay', async () => {
    // Each announcement is one frame per subscription: the largest holder gets three, the next two, the smallest one.
    const largest = await connect(3);
    const middle = await connect(2);
    const smallest = await connect(1);
    const reader = await connect(1);
    await sleep(100);
    for (const client of [largest, middle, smallest]) pause(client);
    const before = server.tessera.engine.connectionCount;
    const chunk = 'x'.repeat(64 * 1024);
    let published = 0;
    let peak = 0;
    while (server.tessera.engine.connectionCount === before && published < 3000) {
      await announce(`big-${published}`, chunk);
      published++;
      peak = Math.max(peak, server.tessera.engine.unreadOutputBytes);
      if (published % 8 === 0) await sleep(1);
    }
    assert.equal(server.tessera.engine.connectionCount, before - 1, `exactly one socket was closed (after ${published} announcements)`);
    console.log(`[output budget] first close after ${published} announcements of 64 KiB; peak unread output ${(peak / MiB).toFixed(1)} MiB`);
    assert.ok(peak <= 8 * MiB, `the total never stayed over the budget (${peak})`);
    for (const client of [largest, middle, smallest]) resume(client);
    assert.deepEqual(await largest.waitForClose(10_000), { code: CloseCode.TryAgainLater, reason: CloseReason.outputBudget });
    // The others read their backlog and carry on.
    await announce('after');
    published++;
    for (const [client, subscriptions] of [[middle, 2], [smallest, 1], [reader, 1]] as const) {
      const deadline = Date.now() + 15_000;
      while (client.messages.filter((m) => m.type === 'next').length < published * subscriptions && Date.now() < deadline) await sleep(20);
      assert.equal(client.messages.filter((m) => m.type === 'next').length, published * subscriptions, 'every announcement arrived');
      assert.equal(client.ws.readyState, WebSocket.OPEN);
    }
    assert.ok(largest.messages.length < published * 3, 'nothing more was queued for the closed one');
  });

  test('a closed socket whose client never reads again is cut within seconds (its buffer freed), not after 30 s', async () => {
    const stuck = await connect(1);
    const reader = await connect(1);
    await sleep(100);
    const tcpBefore = await tcpConnections();
    pause(stuck);
    const before = server.tessera.engine.connectionCount;
    const chunk = 'z'.repeat(256 * 1024);
    let published = 0;
    // The budget is 8 MiB and this socket alone holds it all.
    while (server.tessera.engine.connectionCount === before && published < 1000) {
      await announce(`huge-${published}`, chunk);
      published++;
      if (published % 4 === 0) await sleep(1);
    }
    assert.equal(server.tessera.engine.connectionCount, before - 1);
    const closedAt = Date.now();
    while ((await tcpConnections()) >= tcpBefore && Date.now() - closedAt < 10_000) await sleep(50);
    const ms = Date.now() - closedAt;
    assert.equal(await tcpConnections(), tcpBefore - 1, 'its TCP connection is gone');
    assert.ok(ms < 5000, `cut after ${ms} ms`);
    console.log(`[output budget] stuck socket cut ${ms} ms after its close`);
    assert.equal(server.tessera.engine.unreadOutputBytes, 0);
    assert.equal(reader.ws.readyState, WebSocket.OPEN);
    // Our own side of it would otherwise wait for its close timeout.
    stuck.ws.terminate();
  });
});
