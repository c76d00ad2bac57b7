/**
 * A burst of costly messages in one TCP write is handled a slice at a time:
 * every message is answered, in order, and another client's request is
 * answered while the burst is still being worked through.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const BURST = 90; // under the default burst allowance (twice WS_MESSAGES_PER_SECOND), with connection_init

/** A distinct (so uncached) query costing a few milliseconds of validation: 250 identical fields to merge. */
function costly(n: number): string {
  return `# ${n}\n{ accountsMe { user { ${'id email '.repeat(125)} } } }`;
}

describe('a burst of costly messages from one socket', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server?.close());

  test('is answered completely and in order, and another client is answered before the burst is through', async () => {
    const socket = await RawClient.open(server.wsUrl);
    await socket.init();
    const completed: string[] = [];
    let nulls = 0;
    socket.ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'complete') completed.push(message.id);
      if (message.type === 'next' && message.payload?.data?.accountsMe === null) nulls += 1;
    });
    const until = async (done: () => boolean, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`${completed.length} of ${BURST} answered within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    const frames = Array.from({ length: BURST }, (_, i) => JSON.stringify({ type: 'subscribe', id: `q${i}`, payload: { query: costly(i) } }));
    // ws has no batch send; writing the frames to the TCP socket in one go needs its internals.
    const tcp = (socket.ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
    tcp.cork();
    for (const frame of frames) socket.ws.send(frame);
    tcp.uncork();

    await until(() => completed.length > 0, 20_000);
    // The server has read the burst: without slicing it would answer all of it before reading this.
    const answeredAfter = await fetch(`${server.url}/healthz`).then(() => completed.length);
    await until(() => completed.length === BURST, 60_000);
    assert.ok(answeredAfter < BURST, `another client was answered after ${answeredAfter} of ${BURST} messages had been handled`);
    assert.deepEqual(completed, frames.map((_, i) => `q${i}`), 'answered in the order sent');
    assert.equal(nulls, BURST, 'every query ran (signed out: accountsMe is null)');
    socket.ws.close();
  });
});
