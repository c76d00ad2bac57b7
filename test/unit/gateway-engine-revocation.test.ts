/**
 * Revocation through the engine with a fake transport, bus and store: a
 * revocation handled while a socket's connection_init is being checked still
 * closes it (and no ack is sent), the local path closes sockets without the
 * bus, and a bus reconnect makes the engine re-check every watched session.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SocketAuthenticator } from '../../src/gateway/auth/socket-authenticator.js';
import { Engine } from '../../src/gateway/engine.js';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';
import { FakeTransport } from '../helpers/fake-transport.js';
import type { GatewaySession, SessionSource, SessionStatus } from '../../src/sessions/session-source.js';
import { DocumentCache } from '../../src/graphql/document-cache.js';
import { createSchema } from '../../src/graphql/schema.js';
import { MemoryBus } from '../../src/pubsub/memory-bus.js';


/** A memory bus whose reconnect the test can trigger. */
class ReconnectingBus extends MemoryBus {
  readonly #reconnect = new Set<() => void>();
  override onReconnect(listener: () => void): () => void {
    this.#reconnect.add(listener);
    return () => this.#reconnect.delete(listener);
  }
  reconnected(): void {
    for (const listener of this.#reconnect) listener();
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
const far = Date.now() + 3_600_000;

function authFor(sessionId: string): GatewaySession {
  return { id: sessionId, userId: 'u', expiresAt: far };
}

function makeEngine(authenticator: Partial<SocketAuthenticator>, statuses = new Map<string, SessionStatus>()) {
  const schema = createSchema();
  const bus = new ReconnectingBus();
  const asked: string[][] = [];
  const sessions = {
    checkMany: async (ids: readonly string[]) => {
      asked.push([...ids]);
      return new Map(ids.map((id) => [id, statuses.get(id) ?? 'live'] as const));
    },
    check: async () => ({ status: 'live' }),
  };
  const log = { info: () => {}, warn: () => {}, error: () => {} };
  const engine = new Engine({
    schema,
    documents: new DocumentCache(schema, { maxBytes: 16_384, maxDepth: 12, maxTokens: 2000 }),
    sessions: sessions as unknown as SessionSource,
    authenticator: authenticator as SocketAuthenticator,
    bus,
    limits: {
      initTimeoutMs: 60_000,
      maxResponseBytes: 1 << 20,
      maxSubscriptionsPerConnection: 5,
      maxConnectionsPerUser: 5,
      maxBufferedBytes: 1 << 20,
      messagesPerSecond: 100,
      sessionRecheckMs: 3_600_000,
    },
    log,
  });
  const open = () => {
    const transport = new FakeTransport();
    const connection = engine.open(transport, { ip: '127.0.0.1', userAgent: undefined, subprotocol: 'graphql-transport-ws', cookieHeader: undefined });
    return { transport, connection };
  };
  return { engine, bus, open, asked, statuses };
}

describe('Engine: revocation', () => {
  test('a revocation handled while connection_init is being checked closes the socket with 4401 at admission; no ack', async () => {
    let engine: Engine | undefined;
    const made = makeEngine({
      byInitPayload: async () => {
        // The store said "live"; before the answer is used, the session ends (on any node).
        await tick();
        engine?.revokeSessions(['s'], CloseReason.sessionEnded);
        await tick();
        return { ok: true, session: authFor('s') };
      },
    });
    engine = made.engine;
    const { transport, connection } = made.open();
    engine.receive(connection, '{"type":"connection_init","payload":{"token":"t"}}');
    await tick();
    await tick();
    await tick();
    assert.deepEqual(transport.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionEnded });
    assert.deepEqual(transport.sent, [], 'no connection_ack');
    assert.equal(connection.state, 'closed');
    engine.shutdown();
  });

  test('the same race through the bus: a revocation message arriving during the check closes the socket', async () => {
    let bus: MemoryBus | undefined;
    const made = makeEngine({
      byInitPayload: async () => {
        await bus?.publish('tessera:revocations', JSON.stringify({ sessionIds: ['s'], reason: CloseReason.sessionEnded }));
        await tick();
        return { ok: true, session: authFor('s') };
      },
    });
    bus = made.bus;
    const { transport, connection } = made.open();
    made.engine.receive(connection, '{"type":"connection_init","payload":{"token":"t"}}');
    await tick();
    await tick();
    await tick();
    assert.deepEqual(transport.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionEnded });
    assert.deepEqual(transport.sent, []);
    made.engine.shutdown();
  });

  test('revokeSessions (the local path, no bus) closes the socket at once', async () => {
    const { engine, open } = makeEngine({ byInitPayload: async () => ({ ok: true, session: authFor('s') }) });
    const { transport, connection } = open();
    engine.receive(connection, '{"type":"connection_init","payload":{"token":"t"}}');
    await tick();
    assert.deepEqual(transport.sent, [{ type: 'connection_ack' }]);
    engine.revokeSessions(['s'], CloseReason.sessionEnded);
    assert.deepEqual(transport.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionEnded });
    engine.shutdown();
  });

  test('after the bus reconnects, every watched session is re-checked in one batch and ended ones close', async () => {
    const { engine, bus, open, asked, statuses } = makeEngine({
      byInitPayload: async (payload) => ({ ok: true, session: authFor(String(payload?.['token'])) }),
    });
    const sockets = ['s1', 's2', 's3'].map((id) => {
      const socket = open();
      engine.receive(socket.connection, JSON.stringify({ type: 'connection_init', payload: { token: id } }));
      return socket;
    });
    await tick();
    statuses.set('s2', 'ended'); // its revocation was lost while the bus was down
    assert.equal(asked.length, 0);
    bus.reconnected();
    await tick();
    assert.deepEqual(asked.map((batch) => batch.sort()), [['s1', 's2', 's3']]);
    assert.deepEqual(sockets[1]?.transport.closed, { code: CloseCode.Unauthorized, reason: CloseReason.sessionEnded });
    assert.equal(sockets[0]?.transport.closed, undefined);
    assert.equal(sockets[2]?.transport.closed, undefined);
    engine.shutdown();
    bus.reconnected();
    await tick();
    assert.equal(asked.length, 1, 'a shut-down engine no longer listens');
  });
});
