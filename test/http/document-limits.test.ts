/**
 * Over HTTP: the cost limits, the introspection served from memory,
 * MAX_RESPONSE_BYTES, and @skip/@include on a subscription root field, each
 * with its documented error and no 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const GRAPHQL_RESPONSE = { accept: 'application/graphql-response+json' };
const ALIASED_SCHEMA = `{ ${Array.from({ length: 250 }, (_, i) => `a${i}:__schema{...S}`).join(' ')} } fragment S on __Schema { types { name } }`;
/** Error log lines (pino level 50 and above). */
const errorLines = (server: TestServer) => server.logs.filter((line) => /"level":(50|60)/.test(line));

describe('document limits over HTTP (defaults)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.close();
  });

  it('refuses 250 aliased __schema with GRAPHQL_VALIDATION_FAILED naming each limit (200 JSON, 400 graphql-response+json)', async () => {
    const client = new HttpClient(server.url);
    const json = await client.gql(ALIASED_SCHEMA);
    assert.equal(json.status, 200);
    assert.equal(json.body.data, undefined);
    assert.deepEqual(
      json.body.errors?.map((error) => [error.extensions?.['code'], error.message]),
      [
        ['GRAPHQL_VALIDATION_FAILED', 'The document has 250 aliases; the limit is 30.'],
        ['GRAPHQL_VALIDATION_FAILED', 'The document has 250 root fields; the limit is 20.'],
        ['GRAPHQL_VALIDATION_FAILED', 'The document has 250 introspection fields (__schema, __type); the limit is 3.'],
        ['GRAPHQL_VALIDATION_FAILED', 'The document has 750 fields; the limit is 300.'],
      ],
    );
    assert.equal((await client.gql(ALIASED_SCHEMA, undefined, GRAPHQL_RESPONSE)).status, 400);
  });

  it("answers GraphiQL's introspection query, and the same again from memory", async () => {
    const client = new HttpClient(server.url);
    const first = await client.gql(getIntrospectionQuery());
    assert.equal(first.status, 200);
    assert.equal(first.body.errors, undefined);
    assert.ok(first.body.data.__schema.types.some((type: { name: string }) => type.name === 'AccountsUser'));
    const second = await client.gql(getIntrospectionQuery());
    assert.deepEqual(second.body, first.body);
    assert.ok(server.tessera.engine.documents.introspection.size >= 1, 'the result is kept');
  });

  it('validation errors keep their line and column although documents are parsed without locations', async () => {
    const result = await new HttpClient(server.url).gql('{\n  accountsMe { nope }\n}');
    assert.equal(result.body.errors?.[0]?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
    assert.deepEqual((result.body.errors?.[0] as { locations?: unknown }).locations, [{ line: 2, column: 16 }]);
  });

  it('a subscription with @skip/@include on its root field is GRAPHQL_VALIDATION_FAILED, not a 500, with nothing in the error log', async () => {
    const client = new HttpClient(server.url);
    const errorsBefore = errorLines(server).length;
    for (const query of [
      'subscription($s: Boolean!) { accountsUserCount @skip(if: $s) }',
      'subscription($s: Boolean!) { accountsUserCount @include(if: $s) }',
      'subscription { accountsUserCount @skip(if: true) systemAnnouncements { id } }',
    ]) {
      for (const headers of [{}, GRAPHQL_RESPONSE]) {
        const result = await client.gql(query, { s: false }, headers);
        assert.equal(result.status, 'accept' in headers ? 400 : 200, JSON.stringify(result.body));
        assert.equal(result.body.errors?.[0]?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
        assert.match(result.body.errors?.[0]?.message ?? '', /must not use @skip or @include in its root selection/);
      }
    }
    assert.deepEqual(errorLines(server).slice(errorsBefore), []);
  });
});

describe('MAX_RESPONSE_BYTES over HTTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ MAX_RESPONSE_BYTES: '4096' });
  });
  after(async () => {
    await server.close();
  });

  it('refuses a result over the limit with RESPONSE_TOO_LARGE (no data), and answers a small one', async () => {
    const client = new HttpClient(server.url);
    for (const headers of [{}, GRAPHQL_RESPONSE]) {
      const refused = await client.gql(getIntrospectionQuery(), undefined, headers);
      assert.equal(refused.status, 'accept' in headers ? 400 : 200);
      assert.equal(refused.body.data, undefined);
      assert.deepEqual(refused.body.errors, [
        {
          message: 'The result is larger than the limit of 4096 bytes (MAX_RESPONSE_BYTES): ask for fewer fields or items.',
          extensions: { code: 'RESPONSE_TOO_LARGE', maxBytes: 4096 },
        },
      ]);
    }
    const small = await client.gql('{ __schema { queryType { name } } }');
    assert.deepEqual(small.body, { data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('counts the whole body: a result one byte over the limit is refused, one exactly at it is sent', async () => {
    const query = '{ __schema { types { name kind description } } }';
    const fits = await new HttpClient(server.url).gql(query);
    assert.equal(fits.body.errors, undefined);
    const length = Buffer.byteLength(JSON.stringify(fits.body));
    assert.ok(length > 1024 && length < 4096, `${length} bytes`);
    const under = await startServer({ MAX_RESPONSE_BYTES: String(length - 1) });
    const exact = await startServer({ MAX_RESPONSE_BYTES: String(length) });
    try {
      assert.equal((await new HttpClient(under.url).gql(query)).body.errors?.[0]?.extensions?.['code'], 'RESPONSE_TOO_LARGE');
      assert.deepEqual((await new HttpClient(exact.url).gql(query)).body, fits.body);
    } finally {
      await under.close();
      await exact.close();
    }
  });
});
