/**
 * Bad input on /graphql is answered with a clear error and nothing is stored:
 * wrong variable types, oversized bodies and documents, deep documents,
 * invalid JSON, missing parameters, mutations over GET, invalid account
 * fields; and the response media type follows the Accept header.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { backends } from '../helpers/backends.js';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const REGISTER = 'mutation ($email: String!, $password: String!, $name: String) { accountsRegister(email: $email, password: $password, name: $name) { id } }';
const GRAPHQL_RESPONSE = 'application/graphql-response+json';

interface Answer {
  status: number;
  type: string;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  headers: Headers;
}

for (const { backend, skip } of await backends()) {
  describe(`bad input (${backend.name})`, { skip }, () => {
    let server: TestServer;

    async function post(body: string, headers: Record<string, string> = {}): Promise<Answer> {
      const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      return { status: response.status, type: response.headers.get('content-type') ?? '', body: (await response.json()) as Answer['body'], headers: response.headers };
    }
    const postJson = (payload: unknown, headers: Record<string, string> = {}) => post(JSON.stringify(payload), headers);
    async function get(query: Record<string, string>, headers: Record<string, string> = { 'graphql-require-preflight': '1' }): Promise<Answer> {
      const response = await fetch(`${server.url}/graphql?${new URLSearchParams(query)}`, { headers });
      return { status: response.status, type: response.headers.get('content-type') ?? '', body: (await response.json()) as Answer['body'], headers: response.headers };
    }
    const first = (answer: Answer) => answer.body.errors?.[0];

    before(async () => {
      server = await startServer({}, backend);
    });
    afterEach(async () => {
      const users = await server.tessera.store.db.selectFrom('users').select('id').execute();
      const sessions = await server.tessera.store.db.selectFrom('sessions').select('id').execute();
      assert.deepEqual([users.length, sessions.length], [0, 0], 'bad input stored nothing');
    });
    after(() => server?.close());

    it('variables of the wrong type are BAD_USER_INPUT naming the variable, and nothing runs', async () => {
      const answer = await postJson({ query: REGISTER, variables: { email: 5, password: ['a'] } });
      assert.equal(answer.status, 200);
      assert.equal(answer.body.data, undefined);
      const messages = answer.body.errors?.map((error) => error.message).join('\n') ?? '';
      assert.match(messages, /\$email/);
      assert.equal(first(answer)?.extensions?.['code'], 'BAD_USER_INPUT');
    });

    it('a missing required variable is BAD_USER_INPUT naming it', async () => {
      const answer = await postJson({ query: REGISTER, variables: { email: 'someone@example.test' } });
      assert.equal(first(answer)?.extensions?.['code'], 'BAD_USER_INPUT');
      assert.match(first(answer)?.message ?? '', /\$password/);
    });

    it('an argument literal of the wrong type is GRAPHQL_VALIDATION_FAILED', async () => {
      const answer = await postJson({ query: 'mutation { accountsRegister(email: 5, password: "correct horse battery") { id } }' });
      assert.equal(first(answer)?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
      assert.equal(answer.body.data, undefined);
    });

    it('a 10 MB body is refused with 413 before it is parsed', async () => {
      const answer = await postJson({ query: REGISTER, variables: { email: 'big@example.test', password: 'correct horse battery', name: 'x'.repeat(10 * 1024 * 1024) } });
      assert.equal(answer.status, 413);
      assert.equal(first(answer)?.extensions?.['code'], 'BAD_REQUEST');
      assert.match(first(answer)?.message ?? '', /larger than/);
    });

    it('a document nested deeper than MAX_QUERY_DEPTH is GRAPHQL_VALIDATION_FAILED and does not run', async () => {
      // Introspection allows arbitrary nesting of valid fields; it has its own limit (20),
      // which the standard introspection query passes: 25 levels here.
      const deep = `{ __schema { types { fields { type { ${'ofType { '.repeat(20)}name${' }'.repeat(20)} } } } } }`;
      const answer = await postJson({ query: deep });
      assert.equal(answer.body.data, undefined);
      assert.equal(first(answer)?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
      assert.match(first(answer)?.message ?? '', /deeper than the limit of 20/);
      // Outside introspection, MAX_QUERY_DEPTH (12) applies: 13 levels of (unknown) fields are refused for depth too.
      const thirteen = `{ accountsMe { ${'a { '.repeat(11)}b${' }'.repeat(11)} } }`;
      const tooDeep = await postJson({ query: thirteen });
      assert.ok(tooDeep.body.errors?.some((error) => /deeper than the limit of 12/.test(error.message)));
      const twelve = `{ accountsMe { ${'a { '.repeat(10)}b${' }'.repeat(10)} } }`;
      const deepEnough = await postJson({ query: twelve });
      assert.ok(!deepEnough.body.errors?.some((error) => /deeper than the limit/.test(error.message)), '12 levels pass the depth rule');
      const deepMutation = `mutation { accountsRegister(email: "deep@example.test", password: "correct horse battery") { id ${'a { '.repeat(40)}b${' }'.repeat(40)} } }`;
      const refused = await postJson({ query: deepMutation });
      assert.ok(refused.body.errors?.some((error) => /deeper than the limit/.test(error.message)));
      assert.equal(refused.body.data, undefined);
    });

    it('a document nested through fragments deeper than MAX_QUERY_DEPTH is refused too', async () => {
      let query = '{ __schema { types { ...F0 } } }';
      for (let i = 0; i < 24; i++) query += ` fragment F${i} on __Type { ofType { ...F${i + 1} } }`;
      query += ' fragment F24 on __Type { name }';
      const answer = await postJson({ query });
      assert.match(answer.body.errors?.map((error) => error.message).join('\n') ?? '', /deeper than the limit/);
    });

    it('a document whose fragments each spread the next twice is answered at once, not in exponential time', async () => {
      let query = 'mutation { ...F0 }';
      for (let i = 0; i < 26; i++) query += ` fragment F${i} on Mutation { ...F${i + 1} ...F${i + 1} }`;
      query += ' fragment F26 on Mutation { accountsLogout }';
      const started = performance.now();
      const answer = await postJson({ query });
      const elapsed = performance.now() - started;
      assert.deepEqual(answer.body, { data: { accountsLogout: false } });
      assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms`);
    });

    it('a pathologically nested or very long document is refused before validation', async () => {
      const nested = await postJson({ query: `{ ${'a { '.repeat(3000)}b${' }'.repeat(3000)} }` });
      assert.equal(nested.status, 200);
      assert.ok(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED'].includes(first(nested)?.extensions?.['code'] as string));
      const long = await postJson({ query: `{ __typename ${' '.repeat(20_000)}}` });
      assert.equal(first(long)?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
      assert.match(first(long)?.message ?? '', /larger than/);
    });

    it('invalid JSON is 400 BAD_REQUEST', async () => {
      for (const body of ['{"query": ', '{query: "{ __typename }"}', '', 'null x']) {
        const answer = await post(body);
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(first(answer)?.extensions?.['code'], 'BAD_REQUEST');
        assert.match(first(answer)?.message ?? '', /JSON/);
      }
    });

    it('a JSON body that is not an object is 400 BAD_REQUEST', async () => {
      for (const body of ['[]', '"{ __typename }"', '42', 'null']) {
        const answer = await post(body);
        assert.equal(answer.status, 400, body);
        assert.equal(first(answer)?.extensions?.['code'], 'BAD_REQUEST');
      }
    });

    it('a missing or empty query is 400 BAD_REQUEST naming query', async () => {
      for (const payload of [{}, { query: '' }, { query: 42 }, { variables: {} }]) {
        const answer = await postJson(payload);
        assert.equal(answer.status, 400, JSON.stringify(payload));
        assert.equal(first(answer)?.extensions?.['code'], 'BAD_REQUEST');
        assert.match(first(answer)?.message ?? '', /'query'/);
      }
      const viaGet = await get({});
      assert.equal(viaGet.status, 400);
      assert.match(first(viaGet)?.message ?? '', /'query'/);
    });

    it('variables that are not an object, or an operationName that is not a string, are 400 BAD_REQUEST', async () => {
      const variables = await postJson({ query: REGISTER, variables: ['a'] });
      assert.equal(variables.status, 400);
      assert.match(first(variables)?.message ?? '', /'variables'/);
      const name = await postJson({ query: REGISTER, operationName: 5 });
      assert.equal(name.status, 400);
      assert.match(first(name)?.message ?? '', /'operationName'/);
      const badJson = await get({ query: '{ __typename }', variables: '{nope' });
      assert.equal(badJson.status, 400);
      assert.match(first(badJson)?.message ?? '', /'variables'/);
    });

    it('several operations without operationName, or an unknown operationName, are 400 BAD_REQUEST', async () => {
      const query = 'query A { __typename } query B { __typename }';
      assert.equal((await postJson({ query })).status, 400);
      assert.equal((await postJson({ query, operationName: 'C' })).status, 400);
      const chosen = await postJson({ query, operationName: 'B' });
      assert.deepEqual(chosen.body, { data: { __typename: 'Query' } });
    });

    it('a mutation over GET is refused with 405 and Allow: POST, and does not run', async () => {
      const answer = await get({ query: REGISTER, variables: JSON.stringify({ email: 'get@example.test', password: 'correct horse battery' }) });
      assert.equal(answer.status, 405);
      assert.equal(answer.headers.get('allow'), 'POST');
      assert.equal(first(answer)?.extensions?.['code'], 'BAD_REQUEST');
    });

    it('a subscription over HTTP is 400 BAD_REQUEST pointing at the socket', async () => {
      const answer = await postJson({ query: 'subscription { accountsUserCount }' });
      assert.equal(answer.status, 400);
      assert.match(first(answer)?.message ?? '', /WebSocket/);
    });

    it('a bad email, a short or over-long password, or an over-long name is BAD_USER_INPUT naming the field', async () => {
      const cases: [Record<string, string>, string][] = [
        [{ email: 'not-an-email', password: 'correct horse battery' }, 'email'],
        [{ email: 'a b@example.test', password: 'correct horse battery' }, 'email'],
        [{ email: `${'a'.repeat(250)}@example.test`, password: 'correct horse battery' }, 'email'],
        [{ email: 'short@example.test', password: 'short' }, 'password'],
        [{ email: 'short@example.test', password: '1234567' }, 'password'],
        [{ email: 'long@example.test', password: 'p'.repeat(1025) }, 'password'],
        [{ email: 'name@example.test', password: 'correct horse battery', name: 'n'.repeat(201) }, 'name'],
        // PostgreSQL text cannot hold NUL: refused as input on every store, never a database error.
        [{ email: 'nul\u0000@example.test', password: 'correct horse battery' }, 'email'],
        [{ email: 'ctl@example.test', password: 'correct horse battery', name: 'Ada\u0000Lovelace' }, 'name'],
        [{ email: 'ctl@example.test', password: 'correct horse battery', name: 'Ada\u001bLovelace' }, 'name'],
      ];
      for (const [variables, field] of cases) {
        const answer = await postJson({ query: REGISTER, variables });
        assert.equal(first(answer)?.extensions?.['code'], 'BAD_USER_INPUT', JSON.stringify(variables).slice(0, 80));
        assert.equal(first(answer)?.extensions?.['field'], field);
        assert.equal(answer.body.data, null);
        assert.equal(answer.headers.getSetCookie().length, 0);
      }
    });

    it('a login with a control character in the email is INVALID_CREDENTIALS, never a database error', async () => {
      const answer = await postJson({
        query: 'mutation ($e: String!) { accountsLogin(email: $e, password: "correct horse battery") { id } }',
        variables: { e: 'nul\u0000@example.test' },
      });
      assert.equal(first(answer)?.extensions?.['code'], 'INVALID_CREDENTIALS');
    });

    it('with Accept: application/graphql-response+json a parse error is 400 in that media type', async () => {
      const answer = await postJson({ query: '{ accountsMe ' }, { accept: GRAPHQL_RESPONSE });
      assert.equal(answer.status, 400);
      assert.match(answer.type, /^application\/graphql-response\+json/);
      assert.equal(first(answer)?.extensions?.['code'], 'GRAPHQL_PARSE_FAILED');
      const invalid = await postJson({ query: '{ nope }' }, { accept: GRAPHQL_RESPONSE });
      assert.equal(invalid.status, 400);
      assert.equal(first(invalid)?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
      const coercion = await postJson({ query: REGISTER, variables: { email: 1, password: 2 } }, { accept: GRAPHQL_RESPONSE });
      assert.equal(coercion.status, 400);
      const ok = await postJson({ query: '{ __typename }' }, { accept: `${GRAPHQL_RESPONSE}, application/json;q=0.9` });
      assert.equal(ok.status, 200);
      assert.match(ok.type, /^application\/graphql-response\+json/);
      const request = await post('{"query": ', { accept: GRAPHQL_RESPONSE });
      assert.equal(request.status, 400);
      assert.match(request.type, /^application\/graphql-response\+json/);
    });

    it('with Accept: application/json (or none, or graphql-response+json at q=0) a parse error is 200 in application/json', async () => {
      const refusing = { accept: `${GRAPHQL_RESPONSE};q=0, application/json` };
      for (const headers of [{ accept: 'application/json' }, {}, refusing] as Record<string, string>[]) {
        const answer = await postJson({ query: '{ accountsMe ' }, headers);
        assert.equal(answer.status, 200);
        assert.match(answer.type, /^application\/json/);
        assert.equal(first(answer)?.extensions?.['code'], 'GRAPHQL_PARSE_FAILED');
      }
    });

    it('an unknown path is 404 in the same error shape', async () => {
      const response = await fetch(`${server.url}/nope`);
      assert.equal(response.status, 404);
      const body = (await response.json()) as Answer['body'];
      assert.equal(body.errors?.[0]?.extensions?.['code'], 'BAD_REQUEST');
    });
  });
}
