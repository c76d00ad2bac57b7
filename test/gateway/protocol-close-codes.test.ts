/**
 * Raw-frame tests for every close code of graphql-transport-ws (PROTOCOL.md)
 * and the RFC 6455 codes Tessera uses, asserted by name from CloseCode.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CloseCode } from '../../src/gateway/protocol/close-codes.js';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const SUBSCRIPTION = 'subscription { systemAnnouncements { id message } }';

describe('protocol close codes', () => {
  let server: TestServer;
  let user: HttpClient;
  const open: RawClient[] = [];
  const connect = async (options?: Parameters<typeof RawClient.open>[1]) => {
    const client = await RawClient.open(server.wsUrl, options);
    open.push(client);
    return client;
  };
  const authenticated = async () => {
    const client = await connect();
    await client.init({ token: await user.ticket() });
    return client;
  };

  before(async () => {
    server = await startServer({ WS_INIT_TIMEOUT_MS: '300', WS_MAX_MESSAGE_BYTES: '2048' });
    user = new HttpClient(server.url);
    await user.register();
  });
  after(async () => {
    for (const client of open) client.close();
    await server.close();
  });

  describe('4400 Bad Request: a frame that is not a valid message closes the socket at once', () => {
    for (const [what, frame] of [
      ['malformed JSON', '{"type":"connection_init"'],
      ['a JSON value that is not an object', '[{"type":"connection_init"}]'],
      ['a message without a type', '{"payload":{}}'],
      ['an unknown type', '{"type":"start","id":"1","payload":{"query":"{ __typename }"}}'],
      ['a server-to-client type sent by the client', '{"type":"connection_ack"}'],
      ['a connection_init whose payload is not an object', '{"type":"connection_init","payload":"token"}'],
    ] as const) {
      test(`before init: ${what}`, async () => {
        const client = await connect();
        client.send(frame);
        const closed = await client.waitForClose();
        assert.equal(closed.code, CloseCode.BadRequest);
        assert.match(closed.reason, /^invalid message: \S/);
      });
    }
    for (const [what, message] of [
      ['a subscribe with a numeric id', { type: 'subscribe', id: 7, payload: { query: '{ __typename }' } }],
      ['a subscribe with an empty id', { type: 'subscribe', id: '', payload: { query: '{ __typename }' } }],
      ['a subscribe without an id', { type: 'subscribe', payload: { query: '{ __typename }' } }],
      ['a subscribe whose query is not a string', { type: 'subscribe', id: '1', payload: { query: 42 } }],
      ['a subscribe without a payload', { type: 'subscribe', id: '1' }],
      ['a complete with an object id', { type: 'complete', id: { a: 1 } }],
    ] as const) {
      test(`after ack: ${what}`, async () => {
        const client = await authenticated();
        client.send(message);
        const closed = await client.waitForClose();
        assert.equal(closed.code, CloseCode.BadRequest);
        assert.match(closed.reason, /^invalid message: "(id|payload)/);
      });
    }
  });

  test('4401 Unauthorized: subscribe before connection_ack closes the socket', async () => {
    const client = await connect();
    client.subscribe('1', '{ __typename }');
    assert.deepEqual(await client.waitForClose(), { code: CloseCode.Unauthorized, reason: 'Unauthorized' });
  });

  test('4406: a handshake without the graphql-transport-ws subprotocol is closed with 4406', async () => {
    const client = await connect({ protocol: [] });
    assert.equal(client.ws.protocol, '');
    const closed = await client.waitForClose();
    assert.equal(closed.code, CloseCode.SubprotocolNotAcceptable);
  });

  test('4406: a handshake offering only another subprotocol (legacy graphql-ws) is closed with 4406', async () => {
    const client = await connect({ protocol: 'graphql-ws' });
    const closed = await client.waitForClose();
    assert.equal(closed.code, CloseCode.SubprotocolNotAcceptable);
  });

  test('graphql-transport-ws is chosen when offered among others', async () => {
    const client = await connect({ protocol: ['graphql-ws', 'graphql-transport-ws'] });
    assert.equal(client.ws.protocol, 'graphql-transport-ws');
    await client.init();
  });

  test('4408: no connection_init within WS_INIT_TIMEOUT_MS closes with "Connection initialisation timeout"', async () => {
    const client = await connect();
    const started = Date.now();
    const closed = await client.waitForClose(3000);
    assert.deepEqual(closed, { code: CloseCode.ConnectionInitialisationTimeout, reason: 'Connection initialisation timeout' });
    assert.ok(Date.now() - started >= 250, 'not before the timeout');
  });

  test('4408 does not touch a connection that was acknowledged in time', async () => {
    const client = await authenticated();
    await client.expectNothing(500);
    assert.equal(client.ws.readyState, client.ws.OPEN);
  });

  test('ping before and after init is answered with pong; an unsolicited pong is ignored', async () => {
    const client = await connect();
    client.send({ type: 'ping' });
    assert.deepEqual(await client.next(), { type: 'pong' });
    await client.init();
    client.send({ type: 'ping', payload: { at: 1 } });
    assert.deepEqual(await client.next(), { type: 'pong' });
    client.send({ type: 'pong' });
    await client.expectNothing(100);
    assert.equal(client.ws.readyState, client.ws.OPEN);
  });

  test('a complete for an unknown or finished id is ignored', async () => {
    const client = await authenticated();
    client.send({ type: 'complete', id: 'never-used' });
    client.subscribe('q', '{ __typename }');
    assert.equal((await client.next((m) => m.type === 'complete')).id, 'q');
    client.messages.length = 0;
    client.send({ type: 'complete', id: 'q' });
    await client.expectNothing(100);
    assert.equal(client.ws.readyState, client.ws.OPEN);
  });

  test('a document that does not validate gets one error message (no complete) and the socket stays open', async () => {
    const client = await authenticated();
    client.subscribe('bad', '{ noSuchField }');
    client.subscribe('unparsable', 'subscription {');
    const bad = await client.next((m) => m.id === 'bad');
    assert.equal(bad.type, 'error');
    assert.equal(bad.payload[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
    const unparsable = await client.next((m) => m.id === 'unparsable');
    assert.equal(unparsable.type, 'error');
    assert.equal(unparsable.payload[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
    await client.expectNothing(100, (m) => m.type === 'complete');
    assert.equal(client.ws.readyState, client.ws.OPEN);
  });

  test('a mutation that fails in its resolver answers next with the errors, then complete', async () => {
    const client = await connect();
    await client.init();
    client.subscribe('m', 'mutation { systemAnnounce(message: "hi") { id } }');
    const next = await client.next((m) => m.id === 'm');
    assert.equal(next.type, 'next');
    assert.equal(next.payload.data, null);
    assert.equal(next.payload.errors[0].extensions.code, 'UNAUTHENTICATED');
    assert.equal((await client.next((m) => m.id === 'm')).type, 'complete');
  });

  test('variables are applied, and bad variables answer an error message', async () => {
    const client = await authenticated();
    const query = 'mutation ($m: String!) { systemAnnounce(message: $m) { id } }';
    client.send({ id: 'v', type: 'subscribe', payload: { query, variables: { m: 42 } } });
    const answer = await client.next((m) => m.id === 'v');
    assert.equal(answer.type, 'error');
    client.send({ id: 'w', type: 'subscribe', payload: { query: 'subscription ($x: Int!) { accountsUserCount }', variables: {} } });
    const unused = await client.next((m) => m.id === 'w');
    assert.equal(unused.type, 'error');
    assert.equal(client.ws.readyState, client.ws.OPEN);
  });

  test('4409: a subscribe reusing the id of a running subscription closes with "Subscriber for <id> already exists"', async () => {
    const client = await authenticated();
    client.subscribe('dup', SUBSCRIPTION);
    client.subscribe('dup', SUBSCRIPTION);
    assert.deepEqual(await client.waitForClose(), { code: CloseCode.SubscriberAlreadyExists, reason: 'Subscriber for dup already exists' });
  });

  test('an id may be reused once its operation completed', async () => {
    const client = await authenticated();
    client.subscribe('again', SUBSCRIPTION);
    client.send({ type: 'complete', id: 'again' });
    client.subscribe('again', SUBSCRIPTION);
    client.send({ type: 'complete', id: 'again' });
    client.subscribe('q', '{ __typename }');
    await client.next((m) => m.type === 'complete' && m.id === 'q');
    client.subscribe('q', '{ __typename }');
    await client.next((m) => m.type === 'complete' && m.id === 'q');
    assert.equal(client.ws.readyState, client.ws.OPEN);
  });

  test('4429: a second connection_init closes with "Too many initialisation requests"', async () => {
    const client = await connect();
    await client.init();
    client.send({ type: 'connection_init' });
    assert.deepEqual(await client.waitForClose(), { code: CloseCode.TooManyRequests, reason: 'Too many initialisation requests' });
  });

  test('4429: a connection_init sent while the first is still being checked also closes', async () => {
    const client = await connect();
    const ticket = await user.ticket();
    // In one write: sent apart, a loaded machine may finish checking the first before the second arrives.
    const init = { type: 'connection_init', payload: { token: ticket } };
    client.sendTogether([init, init]);
    const closed = await client.waitForClose();
    assert.equal(closed.code, CloseCode.TooManyRequests);
    assert.ok(!client.messages.some((m) => m.type === 'connection_ack'));
  });

  test('1009: a message over WS_MAX_MESSAGE_BYTES is closed by ws as too big', async () => {
    const client = await authenticated();
    client.subscribe('big', `{ __typename ${' '.repeat(3000)}}`);
    const closed = await client.waitForClose();
    assert.equal(closed.code, 1009);
    assert.equal(client.messages.length, 0);
  });

  test('a message just under WS_MAX_MESSAGE_BYTES is accepted', async () => {
    const client = await authenticated();
    const frame = JSON.stringify({ id: 'ok', type: 'subscribe', payload: { query: '{ __typename }' } });
    client.send(frame.replace('{ __typename }', `{ __typename ${' '.repeat(2000 - frame.length)}}`));
    assert.equal((await client.next((m) => m.id === 'ok')).type, 'next');
  });
});

describe('server shutdown', () => {
  test('1001: closing the server closes every socket with Going Away', async () => {
    const server = await startServer();
    const user = new HttpClient(server.url);
    await user.register();
    const anonymous = await RawClient.open(server.wsUrl);
    await anonymous.init();
    const signedIn = await RawClient.open(server.wsUrl);
    await signedIn.init({ token: await user.ticket() });
    const waiting = await RawClient.open(server.wsUrl);
    await server.close();
    for (const client of [anonymous, signedIn, waiting]) {
      assert.deepEqual(await client.waitForClose(), { code: CloseCode.GoingAway, reason: 'server shutting down' });
    }
  });
});
