/**
 * The SSE transport's translation of the engine's frames into SSE events, and the
 * bus message format that carries resumption ids (pure parts, with a recording
 * stand-in for the response).
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { NextPayload } from '../../src/gateway/fanout/next-payload.js';
import { CloseCode } from '../../src/gateway/protocol/close-codes.js';
import { completeFrame, errorFrame, nextFrame, nextPrefix } from '../../src/gateway/protocol/frames.js';
import { decodeEventMessage, encodeEventMessage } from '../../src/pubsub/event-message.js';
import { DISTINCT_OPERATION, SseTransport } from '../../src/sse/sse-transport.js';

class FakeResponse extends EventEmitter {
  status: number | undefined;
  headers: Record<string, string> | undefined;
  chunks: Buffer[] = [];
  ended = false;
  headersSent = false;
  writableLength = 0;
  socket = { setNoDelay() {} };
  useChunkedEncodingByDefault = true;
  writeHead(status: number, headers: Record<string, string>) {
    this.status = status;
    this.headers = headers;
    this.headersSent = true;
    return this;
  }
  write(chunk: Buffer) {
    this.chunks.push(Buffer.from(chunk));
    return true;
  }
  end(chunk?: Buffer | string) {
    if (chunk !== undefined) this.chunks.push(Buffer.from(chunk));
    this.ended = true;
    return this;
  }
  get text() {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

const transportOn = (mode: 'distinct' | 'single', ended: string[] = []) => {
  const response = new FakeResponse();
  const transport = new SseTransport(response as unknown as ServerResponse, mode, (id) => void ended.push(id));
  return { response, transport };
};

describe('SseTransport', () => {
  it('distinct: 200, the stream headers and a first comment; a result, then complete ends the response', () => {
    const ended: string[] = [];
    const { response, transport } = transportOn('distinct', ended);
    transport.start();
    transport.addOperation(DISTINCT_OPERATION);
    assert.equal(response.status, 200);
    assert.equal(response.headers?.['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(response.useChunkedEncodingByDefault, false, 'an HTTP/1.1 stream ends with its connection');
    transport.send(nextFrame(DISTINCT_OPERATION, '{"data":{"n":1}}'));
    transport.send(completeFrame(DISTINCT_OPERATION));
    assert.equal(response.text, ':\n\nevent: next\ndata: {"data":{"n":1}}\n\nevent: complete\ndata:\n\n');
    assert.equal(response.ended, true);
    assert.deepEqual(ended, [DISTINCT_OPERATION]);
  });

  it('single: events carry the operation id; an error is a next with errors then complete; the stream goes on', () => {
    const { response, transport } = transportOn('single');
    transport.start();
    transport.addOperation('op-1');
    transport.send(errorFrame('op-1', [{ message: 'nope', extensions: { code: 'BAD_REQUEST' } }]));
    assert.equal(
      response.text,
      ':\n\nevent: next\ndata: {"id":"op-1","payload":{"errors":[{"message":"nope","extensions":{"code":"BAD_REQUEST"}}]}}\n\nevent: complete\ndata: {"id":"op-1"}\n\n',
    );
    assert.equal(response.ended, false);
  });

  it('fan-out next: the shared bytes, with the event id on a distinct stream; held while resuming, released after the replay', () => {
    const { response, transport } = transportOn('distinct');
    transport.start();
    transport.hold();
    const payload = new NextPayload('{"data":{"a":1}}', '5-0');
    transport.sendNext(nextPrefix(DISTINCT_OPERATION), payload);
    transport.sendNext(nextPrefix(DISTINCT_OPERATION), new NextPayload('{"data":{"a":2}}', '6-0'));
    assert.equal(response.text, ':\n\n', 'nothing while held');
    transport.release((next) => next.id !== '5-0');
    assert.equal(response.text, ':\n\nid: 6-0\nevent: next\ndata: {"data":{"a":2}}\n\n');
  });

  it('4401 writes each operation’s final next and complete; another close just ends; before the start, an HTTP answer', () => {
    const single = transportOn('single');
    single.transport.start();
    single.transport.addOperation('a');
    single.transport.addOperation('b');
    single.transport.close(CloseCode.Unauthorized, 'session ended');
    assert.match(single.response.text, /data: \{"id":"a","payload":\{"errors":\[\{"message":"session ended","extensions":\{"code":"UNAUTHENTICATED"\}\}\]\}\}/);
    assert.match(single.response.text, /event: complete\ndata: \{"id":"b"\}/);
    assert.equal(single.response.ended, true);

    const going = transportOn('distinct');
    going.transport.start();
    going.transport.close(CloseCode.GoingAway, 'server shutting down');
    assert.equal(going.response.text, ':\n\n', 'no complete: the client reconnects');

    const early = transportOn('distinct');
    early.transport.close(CloseCode.TooManyRequests, 'too many connections');
    assert.equal(early.response.status, 429);
  });
});

describe('event messages on the bus', () => {
  it('carry the resumption id before the JSON, and plain JSON without one', () => {
    assert.deepEqual(decodeEventMessage(encodeEventMessage('{"a":1}', '17-3')), { json: '{"a":1}', eventId: '17-3' });
    assert.deepEqual(decodeEventMessage(encodeEventMessage('{"a":1}', undefined)), { json: '{"a":1}', eventId: undefined });
    assert.deepEqual(decodeEventMessage('"#not an id"'), { json: '"#not an id"', eventId: undefined }, 'a JSON string starting with # is still JSON');
  });
});
