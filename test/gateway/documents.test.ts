/**
 * Over the socket: documents held by subscriptions are shared and bounded by
 * DOCUMENT_CACHE_BYTES (DOCUMENT_CACHE_FULL past it), a query result over
 * MAX_RESPONSE_BYTES is refused (RESPONSE_TOO_LARGE), and @skip/@include on a
 * subscription's root field is a validation error that leaves the socket open.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { getIntrospectionQuery } from 'graphql';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BUDGET = 4 * 1024 * 1024;
/** A distinct subscription document of ~1,600 tokens (the comment makes each source distinct). */
const bigDocument = (i: number) => `subscription { systemAnnouncements { id ${'message @include(if: true) '.repeat(200)} } } # ${i}`;
const errorLines = (server: TestServer) => server.logs.filter((line) => /"level":(50|60)/.test(line));

describe('documents over the socket', () => {
  let server: TestServer;
  const open: RawClient[] = [];
  const connect = async () => {
    const http = new HttpClient(server.url);
    await http.register();
    const client = await RawClient.open(server.wsUrl);
    open.push(client);
    await client.init({ token: await http.ticket() });
    return client;
  };
  const announce = (id: string) =>
    server.tessera.services.publisher.publish('system_announcements', { id, message: id, createdAt: new Date().toISOString() });

  before(async () => {
    server = await startServer({ DOCUMENT_CACHE_BYTES: String(BUDGET), MAX_RESPONSE_BYTES: '4096', WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '100' });
  });
  after(async () => {
    for (const client of open) client.close();
    await server.close();
  });

  test('distinct documents held by subscriptions stay within DOCUMENT_CACHE_BYTES; past it DOCUMENT_CACHE_FULL; shared documents and released room are taken', async () => {
    const documents = server.tessera.engine.documents;
    const first = await connect();
    const second = await connect();
    let refusedAt = -1;
    for (let i = 0; i < 60 && refusedAt === -1; i++) {
      first.subscribe(`s${i}`, bigDocument(i));
      // Nothing comes back for an accepted subscription: wait a moment for a refusal.
      const answer = await first.next((m) => m.id === `s${i}`, 200).catch(() => undefined);
      if (answer !== undefined) {
        assert.equal(answer.type, 'error');
        assert.equal(answer.payload[0].extensions.code, 'DOCUMENT_CACHE_FULL');
        assert.match(answer.payload[0].message, /DOCUMENT_CACHE_BYTES/);
        refusedAt = i;
      }
      assert.ok(documents.bytes <= BUDGET, `${documents.bytes} bytes held`);
    }
    assert.ok(refusedAt > 3, `refused at ${refusedAt}`);
    assert.ok(documents.heldBytes <= BUDGET && documents.heldBytes > BUDGET / 2, `${documents.heldBytes} held`);
    const held = documents.heldBytes;

    // Another socket subscribing with a document already held shares it: accepted, no more bytes.
    second.subscribe('same', bigDocument(0));
    await second.expectNothing(200, (m) => m.id === 'same');
    assert.equal(documents.heldBytes, held);
    // ... and both get the events.
    await announce('shared-1');
    assert.equal((await first.next((m) => m.id === 's0')).payload.data.systemAnnouncements.id, 'shared-1');
    assert.equal((await second.next((m) => m.id === 'same')).payload.data.systemAnnouncements.id, 'shared-1');

    // The refused socket is still open, and completing a subscription frees room for a new document.
    first.send({ type: 'complete', id: 's1' });
    await sleep(50);
    assert.ok(documents.heldBytes < held);
    first.subscribe('again', bigDocument(refusedAt));
    await first.expectNothing(200, (m) => m.id === 'again');

    // Closing the sockets lets go of every document.
    first.close();
    second.close();
    await first.closed;
    await second.closed;
    await sleep(50);
    assert.equal(documents.heldBytes, 0);
    assert.ok(documents.bytes <= BUDGET);
  });

  test('a query result over MAX_RESPONSE_BYTES is an error RESPONSE_TOO_LARGE, before serialization; the socket stays open', async () => {
    const client = await connect();
    client.subscribe('big', getIntrospectionQuery());
    const refused = await client.next((m) => m.id === 'big');
    assert.equal(refused.type, 'error');
    assert.deepEqual(refused.payload, [
      {
        message: 'The result is larger than the limit of 4096 bytes (MAX_RESPONSE_BYTES): ask for fewer fields or items.',
        extensions: { code: 'RESPONSE_TOO_LARGE', maxBytes: 4096 },
      },
    ]);
    client.subscribe('small', '{ __schema { queryType { name } } }');
    assert.deepEqual((await client.next((m) => m.id === 'small')).payload, { data: { __schema: { queryType: { name: 'Query' } } } });
    assert.equal((await client.next((m) => m.id === 'small')).type, 'complete');
  });

  test('@skip/@include on a subscription root field: an error GRAPHQL_VALIDATION_FAILED, never 4500, nothing in the error log', async () => {
    const client = await connect();
    const errorsBefore = errorLines(server).length;
    const queries = [
      'subscription($s: Boolean!) { accountsUserCount @skip(if: $s) }',
      'subscription($s: Boolean!) { ... @include(if: $s) { accountsUserCount } }',
      'subscription { accountsUserCount @skip(if: true) systemAnnouncements { id } }',
    ];
    for (const [i, query] of queries.entries()) {
      client.subscribe(`skip${i}`, query, { s: false });
      const refused = await client.next((m) => m.id === `skip${i}`);
      assert.equal(refused.type, 'error');
      assert.equal(refused.payload[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
      assert.match(refused.payload[0].message, /must not use @skip or @include in its root selection/);
    }
    // The socket is open and works.
    client.subscribe('ok', 'subscription { systemAnnouncements { id } }');
    await sleep(50);
    await announce('after-skip');
    assert.equal((await client.next((m) => m.id === 'ok')).payload.data.systemAnnouncements.id, 'after-skip');
    assert.deepEqual(errorLines(server).slice(errorsBefore), []);
  });
});

describe('the issue: one account, many sockets, distinct large subscription documents', () => {
  test('5 sockets × 100 distinct ~1,600-token documents: the heap grows by about DOCUMENT_CACHE_BYTES, not by 500 documents', async (t) => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const server = await startServer();
    const clients: RawClient[] = [];
    try {
      const http = new HttpClient(server.url);
      await http.register();
      gc();
      const before = process.memoryUsage().heapUsed;
      let n = 0;
      for (let s = 0; s < 5; s++) {
        const client = await RawClient.open(server.wsUrl);
        clients.push(client);
        await client.init({ token: await http.ticket() });
        for (let i = 0; i < 100; i++) client.subscribe(`s${i}`, bigDocument(n++));
      }
      // A subscribe is handled at once, in order: the pong after them means all were.
      for (const client of clients) {
        client.send({ type: 'ping' });
        assert.equal((await client.next((m) => m.type === 'pong', 30_000))?.type, 'pong', 'the socket is open');
      }
      const documents = server.tessera.engine.documents;
      const refused = clients.flatMap((client) => client.messages.filter((m) => m.type === 'error'));
      assert.ok(refused.length > 0 && refused.length < 500, `${refused.length} refused`);
      for (const message of refused) assert.equal(message.payload[0].extensions.code, 'DOCUMENT_CACHE_FULL');
      assert.ok(documents.heldBytes <= 16 * 1024 * 1024);
      gc();
      const grown = process.memoryUsage().heapUsed - before;
      t.diagnostic(`${refused.length} of 500 refused; ${documents.heldBytes} bytes held; heap grew ${(grown / 1048576).toFixed(1)} MB`);
      // Before: every subscription kept its own parse with locations, ~0.5 MB each (~250 MB here).
      assert.ok(grown < 48 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(1)} MB`);
    } finally {
      for (const client of clients) client.close();
      await server.close();
    }
  });
});
