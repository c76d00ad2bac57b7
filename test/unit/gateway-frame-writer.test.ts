/**
 * The fan-out's writer: a small head per subscriber and the shared payload Buffer,
 * never a copy of it; falls back to ws.send when ws's sender has queued data; and
 * the start-up check of the ws version and permessage-deflate.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Duplex } from 'node:stream';
import { NextPayload } from '../../src/gateway/fanout/next-payload.js';
import { nextPrefix } from '../../src/gateway/protocol/frames.js';
import { frameHead, SHARE_PAYLOAD_FROM, wholeFrame, writeFrame } from '../../src/gateway/protocol/frame-writer.js';
import { StartupError } from '../../src/startup-errors.js';
import { checkWs, installedWsVersion, writeNext, WS_TESTED_VERSION, wsProblem } from '../../src/gateway/ws-next-writer.js';

/** Decodes one unmasked frame: FIN+opcode byte, body length and body. */
function decode(frame: Buffer): { first: number; length: number; body: string } {
  let length = frame[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    length = frame.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    length = frame.readUInt32BE(2) * 2 ** 32 + frame.readUInt32BE(6);
    offset = 10;
  }
  assert.equal(frame[1]! & 0x80, 0, 'a server frame is not masked');
  assert.equal(frame.length, offset + length, 'the header length is the body length');
  return { first: frame[0]!, length, body: frame.subarray(offset).toString('utf8') };
}

/** A socket that records what is written, and when it is corked. */
class RecordingSocket {
  readonly calls: string[] = [];
  readonly chunks: Buffer[] = [];
  cork(): void {
    this.calls.push('cork');
  }
  uncork(): void {
    this.calls.push('uncork');
  }
  write(chunk: Buffer): boolean {
    this.calls.push('write');
    this.chunks.push(chunk);
    return true;
  }
}

/** A ws stand-in: only what writeNext reads (its sender's state) and send. */
function fakeWs(state = 0, queue: unknown[] = []): { ws: WebSocket; sent: string[] } {
  const sent: string[] = [];
  const ws = { _sender: { _state: state, _queue: queue }, send: (data: string) => sent.push(data) };
  return { ws: ws as unknown as WebSocket, sent };
}

describe('frame heads', () => {
  const prefix = nextPrefix('ünï-✓');
  for (const [name, payloadBytes] of [
    ['7-bit', 20],
    ['16-bit', 300],
    ['16-bit, the largest', 65_535 - Buffer.byteLength(prefix)],
    ['64-bit', 70_000],
  ] as const) {
    test(`a ${name} length: head + payload is one valid text frame`, () => {
      const payload = Buffer.from('x'.repeat(payloadBytes));
      const frame = Buffer.concat([frameHead(prefix, payload.length), payload]);
      const decoded = decode(frame);
      assert.equal(decoded.first, 0x81, 'FIN, no RSV bits, opcode 1 (text)');
      assert.equal(decoded.length, Buffer.byteLength(prefix) + payloadBytes);
      assert.equal(decoded.body, prefix + payload.toString());
    });
  }

  for (const [name, tail] of [
    ['7-bit ASCII', '{"data":{"n":1}}}'],
    ['16-bit multibyte', `{"data":{"m":"${'é✓😀'.repeat(100)}"}}}`],
    ['64-bit', `{"data":{"m":"${'z'.repeat(70_000)}"}}}`],
  ] as const) {
    test(`wholeFrame, ${name}: prefix + tail encoded into one valid text frame`, () => {
      const decoded = decode(wholeFrame(prefix, tail, Buffer.byteLength(tail)));
      assert.equal(decoded.first, 0x81);
      assert.equal(decoded.length, Buffer.byteLength(prefix) + Buffer.byteLength(tail));
      assert.equal(decoded.body, prefix + tail);
    });
  }

  test(`writeFrame: a payload of ${SHARE_PAYLOAD_FROM} bytes or more is written after the head, corked around both, not copied`, () => {
    const socket = new RecordingSocket();
    const head = frameHead('{"id":"1","type":"next","payload":', SHARE_PAYLOAD_FROM);
    const payload = Buffer.alloc(SHARE_PAYLOAD_FROM, 'a');
    writeFrame(socket, head, payload);
    assert.deepEqual(socket.calls, ['cork', 'write', 'write', 'uncork']);
    assert.equal(socket.chunks[0], head);
    assert.equal(socket.chunks[1], payload);
  });

  test('writeFrame: a smaller payload is copied after the head into one frame, one write', () => {
    const socket = new RecordingSocket();
    const prefix = '{"id":"1","type":"next","payload":';
    const payload = Buffer.alloc(SHARE_PAYLOAD_FROM - 1, 'b');
    writeFrame(socket, frameHead(prefix, payload.length), payload);
    assert.deepEqual(socket.calls, ['write']);
    assert.equal(decode(socket.chunks[0]!).body, prefix + payload.toString());
  });
});

describe('the shared payload', () => {
  test('every subscriber is written the same payload Buffer: no payload-sized buffer per subscriber', () => {
    const payload = new NextPayload(JSON.stringify({ data: { message: 'é'.repeat(40_000) } }));
    const sockets = Array.from({ length: 1000 }, () => new RecordingSocket());
    const { ws } = fakeWs();
    sockets.forEach((socket, i) => writeNext(ws, socket as unknown as Duplex, nextPrefix(i % 10 === 0 ? `long-id-${i}` : '1'), payload));
    const heads = new Set<Buffer>();
    for (const [i, socket] of sockets.entries()) {
      assert.equal(socket.chunks.length, 2);
      assert.equal(socket.chunks[1], payload.bytes, `socket ${i}: the payload is the shared Buffer itself`);
      const head = socket.chunks[0]!;
      assert.ok(head.length <= 10 + 64, `socket ${i}: the head is small (${head.length} bytes)`);
      assert.notEqual(head.buffer, payload.bytes.buffer, 'the head does not share memory with the payload');
      const frame = decode(Buffer.concat(socket.chunks));
      assert.deepEqual(JSON.parse(frame.body), { id: i % 10 === 0 ? `long-id-${i}` : '1', type: 'next', payload: { data: { message: 'é'.repeat(40_000) } } });
      heads.add(head);
    }
    // Subscribers with the previous one's prefix share its head too: here one head per long id
    // (100), each followed by one for "1" again (100); never one per subscriber.
    assert.equal(heads.size, 200);
  });

  test('a payload under the sharing size goes as one whole frame, the same Buffer for consecutive subscribers with one prefix', () => {
    const payload = new NextPayload(JSON.stringify({ data: { message: 'sé'.repeat(100) } }));
    const { ws } = fakeWs();
    const sockets = Array.from({ length: 6 }, () => new RecordingSocket());
    const ids = ['1', '1', 'other-ü', '1', '1', '1'];
    sockets.forEach((socket, i) => writeNext(ws, socket as unknown as Duplex, nextPrefix(ids[i]!), payload));
    for (const [i, socket] of sockets.entries()) {
      assert.deepEqual(socket.calls, ['write'], `socket ${i}: one plain write`);
      assert.deepEqual(JSON.parse(decode(socket.chunks[0]!).body), { id: ids[i], type: 'next', payload: { data: { message: 'sé'.repeat(100) } } });
    }
    const frames = sockets.map((socket) => socket.chunks[0]);
    assert.equal(frames[0], frames[1], 'the same prefix: the same frame, not a copy');
    assert.notEqual(frames[1], frames[2]);
    assert.notEqual(frames[2], frames[3]);
    assert.equal(frames[3], frames[5]);
    assert.equal(payload.byteLength, Buffer.byteLength(payload.tail));
  });

  test('when ws has queued frames (a busy sender), the frame goes behind them through ws.send', () => {
    const payload = new NextPayload('{"data":{"n":1}}');
    for (const busy of [fakeWs(1), fakeWs(0, [['queued']])]) {
      const socket = new RecordingSocket();
      writeNext(busy.ws, socket as unknown as Duplex, nextPrefix('7'), payload);
      assert.deepEqual(socket.calls, [], 'nothing is written past the queue');
      assert.deepEqual(busy.sent, ['{"id":"7","type":"next","payload":{"data":{"n":1}}}']);
    }
  });
});

describe('the ws the writer runs with', () => {
  test('is the pinned, tested version: package.json names it exactly, the lock and node_modules hold it', () => {
    const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
    assert.equal(manifest.dependencies.ws, WS_TESTED_VERSION, 'an exact version, no range');
    assert.equal(lock.packages[''].dependencies.ws, WS_TESTED_VERSION);
    assert.equal(lock.packages['node_modules/ws'].version, WS_TESTED_VERSION);
    assert.equal(installedWsVersion(), WS_TESTED_VERSION);
  });

  test('another ws version is refused with a clear reason', () => {
    assert.match(wsProblem('8.24.0', false) ?? '', /ws 8\.24\.0 is installed, but the fan-out writer is tested with ws 8\.23\.0/);
    const wss = new WebSocketServer({ noServer: true });
    assert.throws(() => checkWs(wss, '8.24.0'), StartupError);
    wss.close();
    assert.equal(wsProblem(WS_TESTED_VERSION, false), undefined);
  });

  test('a WebSocketServer with permessage-deflate on is refused at start-up', () => {
    for (const perMessageDeflate of [true, { threshold: 0 }]) {
      const wss = new WebSocketServer({ noServer: true, perMessageDeflate });
      assert.throws(() => checkWs(wss), (error: unknown) => {
        assert.ok(error instanceof StartupError, 'printed by main as one line');
        assert.match(error.message, /WebSocket server misconfigured: permessage-deflate is enabled.*it must stay off \(perMessageDeflate: false\)/);
        return true;
      });
      wss.close();
    }
    for (const options of [{ noServer: true, perMessageDeflate: false }, { noServer: true }]) {
      const wss = new WebSocketServer(options);
      assert.doesNotThrow(() => checkWs(wss));
      wss.close();
    }
  });
});
