/** A connection checks a frame against its output limit before queueing it, counting UTF-8 bytes. Pure, fake transport. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Connection } from '../../src/gateway/connection.js';
import { NextPayload } from '../../src/gateway/fanout/next-payload.js';
import { OutputBudget } from '../../src/gateway/output-budget.js';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';
import type { Transport } from '../../src/gateway/transport.js';

class FakeTransport implements Transport {
  readonly sent: string[] = [];
  closed: { code: number; reason: string } | undefined;
  bufferedAmount = 0;
  /** Bytes each send leaves unread (as if the kernel took nothing). */
  sticky = false;
  send(frame: string): void {
    this.sent.push(frame);
    if (this.sticky) this.bufferedAmount += Buffer.byteLength(frame);
  }
  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }
}

const open = (transport: FakeTransport, budget?: OutputBudget) =>
  new Connection(transport, '127.0.0.1', undefined, { maxBufferedBytes: 1000, messagesPerSecond: 50, onClose: () => {}, budget });

describe('Connection output limit', () => {
  test('a frame that fits is sent; one that would pass the limit is not sent and the socket closes 1013', () => {
    const transport = new FakeTransport();
    const connection = open(transport);
    connection.send('a'.repeat(900));
    assert.equal(transport.sent.length, 1);
    transport.bufferedAmount = 200;
    connection.send('b'.repeat(900));
    assert.equal(transport.sent.length, 1, 'not queued');
    assert.deepEqual(transport.closed, { code: CloseCode.TryAgainLater, reason: CloseReason.slowConsumer });
    assert.equal(connection.isOpen, false);
  });

  test('counts UTF-8 bytes, not characters', () => {
    const fits = new FakeTransport();
    open(fits).send('€'.repeat(300)); // 900 bytes
    assert.equal(fits.sent.length, 1);
    const over = new FakeTransport();
    open(over).send('€'.repeat(400)); // 1,200 bytes in 400 characters
    assert.equal(over.sent.length, 0);
    assert.equal(over.closed?.code, CloseCode.TryAgainLater);
  });

  test('a next frame is checked from its parts the same way', () => {
    const transport = new FakeTransport();
    const connection = open(transport);
    connection.sendNext('{"id":"1","type":"next","payload":', new NextPayload(JSON.stringify({ data: { x: 'y'.repeat(1000) } })));
    assert.equal(transport.sent.length, 0);
    assert.equal(transport.closed?.reason, CloseReason.slowConsumer);
  });

  test('what a send leaves unread is counted by the process-wide budget, and forgotten when the socket closes', () => {
    const budget = new OutputBudget(10_000);
    const transport = new FakeTransport();
    transport.sticky = true;
    const connection = open(transport, budget);
    connection.send('x'.repeat(300));
    assert.equal(budget.totalBytes, 300);
    connection.close(1000, 'bye');
    assert.equal(budget.totalBytes, 0);
    budget.stop();
  });
});
