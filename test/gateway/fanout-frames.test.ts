/**
 * The fan-out writes `next` frames pre-framed, straight to the TCP socket: a
 * standard client must read them exactly, whatever the payload's length
 * (7-bit, 16-bit and 64-bit length forms) and however many bytes its
 * characters take, and they must interleave correctly with ws's own frames.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const QUERY = 'subscription { systemAnnouncements { id message createdAt } }';

describe('pre-framed next frames', () => {
  let server: TestServer;
  let client: RawClient;

  before(async () => {
    server = await startServer();
    const http = new HttpClient(server.url);
    await http.register();
    client = await RawClient.open(server.wsUrl, { origin: server.url });
    await client.init({ token: await http.ticket() });
    client.subscribe('1', QUERY);
    client.subscribe('ünïcode-id-✓', QUERY);
    // The subscriptions are registered once a ping sent after them is answered.
    client.send({ type: 'ping' });
    await client.next((m) => m.type === 'pong');
  });

  after(async () => {
    client.close();
    await server.close();
  });

  const cases: [string, string][] = [
    ['a short payload (7-bit length)', 'hi'],
    ['a payload over 125 bytes (16-bit length)', 'x'.repeat(300)],
    ['a payload over 64 KiB (64-bit length)', 'y'.repeat(70_000)],
    ['multi-byte characters, counted in bytes', 'é✓😀'.repeat(5000)],
  ];
  for (const [name, message] of cases) {
    test(`${name} reaches every subscription intact, with its own id`, async () => {
      const announcement = { id: `a-${message.length}`, message, createdAt: '2026-01-01T00:00:00.000Z' };
      await server.tessera.services.publisher.publish('system_announcements', announcement);
      for (const id of ['1', 'ünïcode-id-✓']) {
        const frame = await client.next((m) => m.type === 'next' && m.id === id);
        assert.deepEqual(frame, { id, type: 'next', payload: { data: { systemAnnouncements: announcement } } });
      }
      // ws's own frames (here a pong) still arrive in order after the pre-framed ones.
      client.send({ type: 'ping' });
      assert.deepEqual(await client.next(), { type: 'pong' });
    });
  }
});
