/** The message validator, the outgoing frames and the close reasons, without sockets. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CloseCode, CloseReason, limitReason } from '../../src/gateway/protocol/close-codes.js';
import { completeFrame, errorFrame, nextFrame, nextPrefix } from '../../src/gateway/protocol/frames.js';
import { parseClientMessage, ProtocolError } from '../../src/gateway/protocol/messages.js';

const rejects = (text: string, message: string | RegExp) =>
  assert.throws(() => parseClientMessage(text), (error: unknown) => {
    assert.ok(error instanceof ProtocolError);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });

describe('parseClientMessage', () => {
  test('accepts every client message of graphql-transport-ws', () => {
    assert.deepEqual(parseClientMessage('{"type":"connection_init"}'), { type: 'connection_init', payload: undefined });
    assert.deepEqual(parseClientMessage('{"type":"connection_init","payload":{"token":"t"}}'), {
      type: 'connection_init',
      payload: { token: 't' },
    });
    assert.deepEqual(parseClientMessage('{"type":"connection_init","payload":null}'), { type: 'connection_init', payload: null });
    assert.deepEqual(parseClientMessage('{"type":"ping","payload":{"a":1}}'), { type: 'ping', payload: { a: 1 } });
    assert.deepEqual(parseClientMessage('{"type":"pong"}'), { type: 'pong', payload: undefined });
    assert.deepEqual(parseClientMessage('{"type":"complete","id":"7"}'), { type: 'complete', id: '7' });
    assert.deepEqual(
      parseClientMessage('{"id":"1","type":"subscribe","payload":{"query":"{ a }","variables":{"x":1},"operationName":"Op","extensions":{}}}'),
      { type: 'subscribe', id: '1', payload: { query: '{ a }', variables: { x: 1 }, operationName: 'Op', extensions: {} } },
    );
    assert.deepEqual(parseClientMessage('{"id":"1","type":"subscribe","payload":{"query":"{ a }","variables":null,"operationName":null}}'), {
      type: 'subscribe',
      id: '1',
      payload: { query: '{ a }', variables: null, operationName: null, extensions: undefined },
    });
  });

  test('refuses what is not a JSON object', () => {
    rejects('', 'message is not valid JSON');
    rejects('{"type":', 'message is not valid JSON');
    rejects('[]', 'message must be a JSON object');
    rejects('null', 'message must be a JSON object');
    rejects('"connection_init"', 'message must be a JSON object');
  });

  test('refuses a missing or unknown type, naming it (cut to 40 characters)', () => {
    rejects('{}', 'message has no "type"');
    rejects('{"type":3}', 'message has no "type"');
    rejects('{"type":"start"}', 'unexpected message type "start"');
    rejects('{"type":"next","id":"1","payload":{}}', 'unexpected message type "next"');
    rejects('{"type":"connection_ack"}', 'unexpected message type "connection_ack"');
    rejects(JSON.stringify({ type: 'x'.repeat(500) }), `unexpected message type "${'x'.repeat(40)}"`);
  });

  test('refuses a bad id: missing, not a string, empty, or longer than 128 characters', () => {
    for (const id of [undefined, 1, null, '', {}, 'x'.repeat(129)]) {
      rejects(JSON.stringify({ type: 'complete', id }), /^"id" /);
      rejects(JSON.stringify({ type: 'subscribe', id, payload: { query: '{ a }' } }), /^"id" /);
    }
    assert.equal(parseClientMessage(JSON.stringify({ type: 'complete', id: 'x'.repeat(128) })).type, 'complete');
  });

  test('refuses a bad subscribe payload', () => {
    rejects('{"type":"subscribe","id":"1"}', '"payload" must be an object');
    rejects('{"type":"subscribe","id":"1","payload":[]}', '"payload" must be an object');
    rejects('{"type":"subscribe","id":"1","payload":{}}', '"payload.query" must be a string');
    rejects('{"type":"subscribe","id":"1","payload":{"query":1}}', '"payload.query" must be a string');
    rejects('{"type":"subscribe","id":"1","payload":{"query":"{a}","operationName":1}}', '"payload.operationName" must be a string');
    rejects('{"type":"subscribe","id":"1","payload":{"query":"{a}","variables":[1]}}', '"payload.variables" must be an object');
    rejects('{"type":"subscribe","id":"1","payload":{"query":"{a}","extensions":"x"}}', '"payload.extensions" must be an object');
  });

  test('refuses a payload that is not an object on connection_init, ping and pong', () => {
    for (const type of ['connection_init', 'ping', 'pong']) {
      rejects(JSON.stringify({ type, payload: 'token' }), '"payload" must be an object');
      rejects(JSON.stringify({ type, payload: [1] }), '"payload" must be an object');
    }
  });

  test('does not let a "__proto__" key through as a prototype', () => {
    const message = parseClientMessage('{"type":"connection_init","payload":{"__proto__":{"token":"x"}}}');
    assert.equal((message as { payload: Record<string, unknown> }).payload['token'], undefined);
  });
});

describe('frames', () => {
  test('a next frame is the prefix, the payload and a closing brace, and parses back', () => {
    for (const id of ['1', 'a"b', 'ünï\u2028code', '\\', '</script>']) {
      const frame = nextFrame(id, '{"data":{"n":1}}');
      assert.ok(frame.startsWith(nextPrefix(id)));
      assert.deepEqual(JSON.parse(frame), { id, type: 'next', payload: { data: { n: 1 } } });
    }
  });

  test('error and complete frames', () => {
    assert.deepEqual(JSON.parse(errorFrame('e', [{ message: 'no', extensions: { code: 'X' } }])), {
      id: 'e',
      type: 'error',
      payload: [{ message: 'no', extensions: { code: 'X' } }],
    });
    assert.deepEqual(JSON.parse(completeFrame('c')), { id: 'c', type: 'complete' });
  });
});

describe('close codes and reasons', () => {
  test('the graphql-transport-ws codes are the numbers PROTOCOL.md gives them', () => {
    assert.equal(CloseCode.BadRequest, 4400);
    assert.equal(CloseCode.Unauthorized, 4401);
    assert.equal(CloseCode.Forbidden, 4403);
    assert.equal(CloseCode.SubprotocolNotAcceptable, 4406);
    assert.equal(CloseCode.ConnectionInitialisationTimeout, 4408);
    assert.equal(CloseCode.SubscriberAlreadyExists, 4409);
    assert.equal(CloseCode.TooManyRequests, 4429);
    assert.equal(CloseCode.InternalServerError, 4500);
    assert.equal(CloseCode.GoingAway, 1001);
    assert.equal(CloseCode.TryAgainLater, 1013);
  });

  test('the reasons PROTOCOL.md words are worded as it words them', () => {
    assert.equal(CloseReason.unauthorized, 'Unauthorized');
    assert.equal(CloseReason.initTimeout, 'Connection initialisation timeout');
    assert.equal(CloseReason.tooManyInits, 'Too many initialisation requests');
    assert.equal(CloseReason.subscriberExists('abc'), 'Subscriber for abc already exists');
  });

  test('every reason fits the 123 bytes RFC 6455 allows', () => {
    for (const reason of Object.values(CloseReason)) {
      if (typeof reason === 'string') assert.ok(Buffer.byteLength(reason) <= 123, reason);
    }
  });

  test('limitReason cuts at a character boundary to at most 123 bytes', () => {
    assert.equal(limitReason('short'), 'short');
    assert.equal(limitReason('x'.repeat(200)), 'x'.repeat(123));
    const cut = limitReason('é'.repeat(100));
    assert.ok(Buffer.byteLength(cut) <= 123);
    assert.equal(cut, 'é'.repeat(61));
    const long = CloseReason.subscriberExists('i'.repeat(128));
    assert.ok(Buffer.byteLength(limitReason(long)) <= 123);
  });
});
