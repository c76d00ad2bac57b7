/**
 * One registration or sign-in per request: a document with several
 * accountsRegister/accountsLogin fields (aliases, or both) is refused before
 * it runs, with GRAPHQL_VALIDATION_FAILED naming the limit: no account, no
 * session, no Argon2 hash, nothing counted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryRateLimiter } from '../../src/accounts/rate-limiter.js';
import { HttpClient, uniqueEmail } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('one sign-in or registration per request, over HTTP', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server?.close());

  const count = async (table: 'users' | 'sessions') =>
    (await server.tessera.store.db.selectFrom(table).select('id').execute()).length;

  it('refuses 15 aliased registrations (within the cost limits) before running any', async () => {
    const fields = Array.from({ length: 15 }, (_, i) => `r${i}: accountsRegister(email: "u${i}-${uniqueEmail()}", password: "correct horse battery") { id }`);
    const started = Date.now();
    const client = new HttpClient(server.url);
    const result = await client.gql(`mutation { ${fields.join(' ')} }`, undefined, { accept: 'application/graphql-response+json' });
    assert.equal(result.status, 400);
    assert.equal(result.body.data, undefined);
    assert.equal(result.body.errors?.length, 1);
    assert.equal(result.body.errors?.[0]?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
    assert.match(result.body.errors?.[0]?.message ?? '', /at most 1 time; this one has 15 accountsRegister\/accountsLogin fields/);
    assert.deepEqual(result.setCookies, []);
    assert.equal(await count('users'), 0);
    assert.ok(Date.now() - started < 2000, 'answered without hashing 15 passwords');
  });

  it('refuses 60 aliased registrations (past MAX_ALIASES and MAX_ROOT_FIELDS too) before running any', async () => {
    const fields = Array.from({ length: 60 }, (_, i) => `r${i}: accountsRegister(email: "u${i}-${uniqueEmail()}", password: "correct horse battery") { id }`);
    const result = await new HttpClient(server.url).gql(`mutation { ${fields.join(' ')} }`, undefined, { accept: 'application/graphql-response+json' });
    assert.equal(result.status, 400);
    assert.equal(result.body.data, undefined);
    assert.ok((result.body.errors ?? []).every((error) => error.extensions?.['code'] === 'GRAPHQL_VALIDATION_FAILED'));
    assert.match(result.body.errors?.[0]?.message ?? '', /60 aliases; the limit is 30/);
    assert.deepEqual(result.setCookies, []);
    assert.equal(await count('users'), 0);
  });

  it('refuses a login with a registration, and two aliased logins, with status 200 for application/json clients', async () => {
    const { email, password } = await new HttpClient(server.url).register();
    const sessionsBefore = await count('sessions');
    const limiter = server.tessera.rateLimiter as MemoryRateLimiter;
    const counted = limiter.size;
    for (const query of [
      `mutation ($e: String!, $p: String!) { accountsLogin(email: $e, password: $p) { id } accountsRegister(email: "${uniqueEmail()}", password: $p) { id } }`,
      'mutation ($e: String!, $p: String!) { a: accountsLogin(email: $e, password: $p) { id } b: accountsLogin(email: $e, password: $p) { id } }',
      'mutation ($e: String!, $p: String!) { ...A ...B } fragment A on Mutation { a: accountsLogin(email: $e, password: $p) { id } } fragment B on Mutation { b: accountsLogin(email: $e, password: $p) { id } }',
    ]) {
      const result = await new HttpClient(server.url).gql(query, { e: email, p: password });
      assert.equal(result.status, 200);
      assert.equal(result.body.errors?.[0]?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED', JSON.stringify(result.body));
      assert.match(result.body.errors?.[0]?.message ?? '', /register or sign in at most 1 time/);
      assert.deepEqual(result.setCookies, []);
    }
    assert.equal(await count('sessions'), sessionsBefore, 'no session was made');
    assert.equal(limiter.size, counted, 'no attempt was counted');
    // One login in a request is fine.
    assert.equal((await new HttpClient(server.url).login(email, password)).body.errors, undefined);
  });
});
