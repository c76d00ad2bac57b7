/**
 * The protocol engine with a fake transport: no `ws`, no HTTP, no database.
 * Covers what a real socket cannot easily provoke, such as 4500.
 */
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import type { SocketAuthenticator } from '../../src/gateway/auth/socket-authenticator.js';
import { Engine } from '../../src/gateway/engine.js';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import type { SessionSource } from '../../src/sessions/session-source.js';
import { DocumentCache } from '../../src/graphql/document-cache.js';
import { createSchema } from '../../src/graphql/schema.js';
import { MemoryBus } from '../../src/pubsub/memory-bus.js';


const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

function makeEngine(authenticator: Partial<SocketAuthenticator>, messagesPerSecond = 100, initTimeoutMs = 60_000) {
  const schema = createSchema();
  const logged: { level: string; message: string }[] = [];
  const log = {
    info: (_: object, message: string) => logged.push({ level: 'info', message }),
    warn: (_: object, message: string) => logged.push({ level: 'warn', message }),
    error: (_: object, message: string) => logged.push({ level: 'error', message }),
  };
  const engine = new Engine({
    schema,
    documents: new DocumentCache(schema, { maxBytes: 16_384, maxDepth: 12, maxTokens: 2000 }),
    sessions: {} as unknown as SessionSource,
    authenticator: authenticator as SocketAuthenticator,
    bus: new MemoryBus(),
    limits: { initTimeoutMs, maxSubscriptionsPerConnection: 5, maxConnectionsPerUser: 5, maxBufferedBytes: 1 << 20, messagesPerSecond, maxResponseBytes: 1 << 20 },
    log,
  });
  const open = (subprotocol = 'graphql-transport-ws') => {
    const transport = new FakeTransport();
    const connection = engine.open(transport, { ip: '127.0.0.1', userAgent: undefined, subprotocol, cookieHeader: undefined });
    return { transport, connection };
  };
  return { engine, open, logged };
}

const anonymous: Partial<SocketAuthenticator> = { byInitPayload: async () => ({ ok: true, session: undefined }) };

describe('Engine (pure, fake transport)', () => {
  test('acknowledges connection_init and answers a query with next then complete', async () => {
    const { engine, open } = makeEngine(anonymous);
    const { transport, connection } = open();
    engine.receive(connection, '{"type":"connection_init"}');
    await tick();
    engine.receive(connection, '{"id":"1","type":"subscribe","payload":{"query":"{ __typename }"}}');
    await tick();
    assert.deepEqual(transport.sent, [
      { type: 'connection_ack' },
      { id: '1', type: 'next', payload: { data: { __typename: 'Query' } } },
      { id: '1', type: 'complete' },
    ]);
    assert.equal(transport.closed, undefined);
    engine.shutdown();
  });

  test('4500 "internal server error" when authentication throws (e.g. the store is down); the error is logged', async () => {
    const { engine, open, logged } = makeEngine({
      byInitPayload: async () => {
        throw new Error('database unavailable');
      },
    });
    const { transport, connection } = open();
    engine.receive(connection, '{"type":"connection_init","payload":{"token":"t1.x.y"}}');
    await tick();
    assert.deepEqual(transport.closed, { code: CloseCode.InternalServerError, reason: CloseReason.internal });
    assert.ok(logged.some((line) => line.level === 'error'));
    assert.equal(engine.connectionCount, 0);
    engine.shutdown();
  });

  test('4406 at once for a transport without the subprotocol', () => {
    const { engine, open } = makeEngine(anonymous);
    const { transport } = open('graphql-ws');
    assert.equal(transport.closed?.code, CloseCode.SubprotocolNotAcceptable);
    assert.equal(engine.connectionCount, 0);
    engine.shutdown();
  });

  test('frames after the close are ignored; a closed connection is released once', async () => {
    const { engine, open } = makeEngine(anonymous);
    const { transport, connection } = open();
    engine.receive(connection, 'garbage');
    assert.equal(transport.closed?.code, CloseCode.BadRequest);
    engine.receive(connection, '{"type":"connection_init"}');
    connection.released();
    await tick();
    assert.deepEqual(transport.sent, []);
    assert.equal(engine.connectionCount, 0);
    engine.shutdown();
  });

  test('4429 "too many messages per second" past the burst of twice the rate', async () => {
    // The clock stands still: on a loaded machine a stall between two pings would refill a token.
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    try {
      const { engine, open } = makeEngine(anonymous, 10);
      const { transport, connection } = open();
      for (let i = 0; i < 25; i++) engine.receive(connection, '{"type":"ping"}');
      // On a loaded machine the message slicer may leave the rest of the 25 for later turns.
      for (let turn = 0; turn < 100 && transport.closed === undefined; turn++) await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(transport.closed, { code: CloseCode.TooManyRequests, reason: CloseReason.tooManyMessages });
      assert.equal(transport.sent.length, 20);
      engine.shutdown();
    } finally {
      mock.timers.reset();
    }
  });

  test('1013 once the transport reports more buffered output than the limit', async () => {
    const { engine, open } = makeEngine(anonymous);
    const { transport, connection } = open();
    engine.receive(connection, '{"type":"connection_init"}');
    await tick();
    transport.bufferedAmount = (1 << 20) + 1;
    engine.receive(connection, '{"type":"ping"}');
    assert.deepEqual(transport.closed, { code: CloseCode.TryAgainLater, reason: CloseReason.slowConsumer });
    engine.shutdown();
  });

  test('4408 only for a connection that sent no connection_init in time, not for one whose credential is still being checked', async () => {
    const slowStore: Partial<SocketAuthenticator> = {
      byInitPayload: () => new Promise((resolve) => setTimeout(() => resolve({ ok: true, session: undefined }), 150)),
    };
    const { engine, open } = makeEngine(slowStore, 100, 50);
    const silent = open();
    const initialising = open();
    engine.receive(initialising.connection, '{"type":"connection_init"}');
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.deepEqual(silent.transport.closed, { code: CloseCode.ConnectionInitialisationTimeout, reason: CloseReason.initTimeout });
    assert.equal(initialising.transport.closed, undefined);
    assert.deepEqual(initialising.transport.sent, [{ type: 'connection_ack' }]);
    engine.shutdown();
  });

  test('shutdown closes every connection with 1001', () => {
    const { engine, open } = makeEngine(anonymous);
    const connections = [open(), open(), open()];
    engine.shutdown();
    for (const { transport } of connections) assert.deepEqual(transport.closed, { code: CloseCode.GoingAway, reason: CloseReason.goingAway });
    assert.equal(engine.connectionCount, 0);
  });
});
