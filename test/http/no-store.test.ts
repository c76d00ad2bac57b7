/**
 * GraphQL answers carry socket tickets and account data: every one of them,
 * success or error, over POST or GET, says `Cache-Control: no-store`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('Cache-Control: no-store on /graphql', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ BODY_LIMIT_BYTES: '2048' });
  });
  after(async () => {
    await server.close();
  });

  it('on the answer that carries a ticket, and on every error answer', async () => {
    const client = new HttpClient(server.url);
    await client.register();
    const me = await client.gql('{ accountsMe { token } }');
    assert.equal(typeof me.body.data.accountsMe.token, 'string');
    assert.equal(me.headers.get('cache-control'), 'no-store', 'the ticket answer');

    const answers: [string, Response][] = [];
    const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      fetch(`${server.url}/graphql`, { method: 'POST', headers, body });
    answers.push(['a parse error', await post(JSON.stringify({ query: '{' }))]);
    answers.push(['a validation error', await post(JSON.stringify({ query: '{ nope }' }))]);
    answers.push(['invalid JSON', await post('{')]);
    answers.push(['a body over the limit (413)', await post(JSON.stringify({ query: `{ accountsMe { token } } #${'x'.repeat(4096)}` }))]);
    answers.push(['a CSRF refusal', await post('query={accountsMe{token}}', { 'content-type': 'application/x-www-form-urlencoded' })]);
    answers.push(['a refused media type (415)', await post('x', { 'content-type': 'application/xml', 'graphql-require-preflight': '1' })]);
    answers.push([
      'a GET query',
      await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ accountsUserCount: __typename }')}`, {
        headers: { 'graphql-require-preflight': '1' },
      }),
    ]);
    answers.push(['a mutation over GET (405)', await fetch(`${server.url}/graphql?query=${encodeURIComponent('mutation { accountsLogout }')}`, { headers: { 'graphql-require-preflight': '1' } })]);
    const statuses = new Set<number>();
    for (const [what, response] of answers) {
      await response.arrayBuffer();
      statuses.add(response.status);
      assert.equal(response.headers.get('cache-control'), 'no-store', `${what} (${response.status})`);
    }
    assert.ok(statuses.has(200) && statuses.has(400) && statuses.has(413) && statuses.has(415) && statuses.has(405), [...statuses].join(','));
  });

  it('not on other routes (their own policy stays)', async () => {
    const response = await fetch(`${server.url}/healthz`);
    await response.arrayBuffer();
    assert.equal(response.headers.get('cache-control'), null);
  });
});
