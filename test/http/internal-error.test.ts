/**
 * An unexpected failure reaches the client as INTERNAL_SERVER_ERROR with a
 * generic message: no stack, no SQL, no table names. The details go to the log.
 */
import assert from 'node:assert/strict';
import { describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { sql } from 'kysely';
import { backends } from '../helpers/backends.js';
import { HttpClient, uniqueEmail } from '../helpers/http-client.js';
import { startServer } from '../helpers/server.js';

/** Text that would betray internals if a client saw it. */
const LEAKS = /sessions|users|select|insert|sqlite|postgres|relation|table|\bat .+:\d+|\.ts\b|\.js\b|stack/i;

for (const { backend, skip } of await backends()) {
  describe(`internal errors (${backend.name})`, { skip }, () => {
    it('a resolver failing on the database is INTERNAL_SERVER_ERROR with no stack or SQL text, and is logged', async () => {
      const server = await startServer({}, backend);
      try {
        const client = new HttpClient(server.url);
        await client.register();
        await sql`drop table users cascade`.execute(server.tessera.store.db).catch(async () => {
          // SQLite has no CASCADE: drop the dependent table first.
          await sql`drop table sessions`.execute(server.tessera.store.db);
          await sql`drop table users`.execute(server.tessera.store.db);
        });
        const result = await new HttpClient(server.url).gql(
          'mutation ($e: String!) { accountsRegister(email: $e, password: "correct horse battery") { id } }',
          { e: uniqueEmail() },
        );
        const text = JSON.stringify(result.body);
        assert.equal(result.body.errors?.[0]?.extensions?.['code'], 'INTERNAL_SERVER_ERROR', text);
        assert.equal(result.body.errors?.[0]?.message, 'Internal server error.');
        assert.deepEqual(Object.keys(result.body.errors?.[0]?.extensions ?? {}), ['code']);
        assert.doesNotMatch(text.replace('accountsRegister', ''), LEAKS);
        assert.ok(
          server.logs.some((line) => line.includes('"level":50') && /users|relation/i.test(line)),
          'the log has the details',
        );
      } finally {
        await server.close();
      }
    });

    it('a failure while reading the session is a 500 INTERNAL_SERVER_ERROR with no stack or SQL text', async () => {
      const server = await startServer({}, backend);
      try {
        const client = new HttpClient(server.url);
        await client.register();
        await sql`drop table sessions`.execute(server.tessera.store.db);
        for (const accept of ['application/json', 'application/graphql-response+json']) {
          const result = await client.gql('{ accountsMe { user { id } } }', undefined, { accept });
          const text = JSON.stringify(result.body);
          assert.equal(result.status, 500);
          assert.equal(result.body.errors?.[0]?.extensions?.['code'], 'INTERNAL_SERVER_ERROR', text);
          assert.doesNotMatch(text, LEAKS);
        }
      } finally {
        await server.close();
      }
    });
  });
}
