/** graphql/over-http.ts, the GraphQL-over-HTTP core the demo's route and tessera/fastify share: pure, no server. */
import assert from 'node:assert/strict';
import { buildSchema } from 'graphql';
import { DocumentCache } from '../../src/graphql/document-cache.js';
import { answerOperation, guardRequest, wantsGraphQLResponse } from '../../src/graphql/over-http.js';
import { StoreUnavailableError } from '../../src/graphql/errors.js';
import { describe, it } from '../helpers/suite.js';

const schema = buildSchema('type Query { hello: String, who: String } type Mutation { bump: Int } type Subscription { tick: Int }');
schema.getQueryType()!.getFields()['hello']!.resolve = () => 'world';
schema.getQueryType()!.getFields()['who']!.resolve = (_s, _a, context: { user: string }) => context.user;
const documents = new DocumentCache(schema, { maxBytes: 1000, maxDepth: 5, maxTokens: 200 });
const log = { errors: [] as string[], error(_object: object, message: string) { this.errors.push(message); } };
const allows = (origin: string) => origin === 'https://app.example';

const ask = (query: string, extra: { method?: string; graphqlResponse?: boolean; context?: () => unknown; maxResponseBytes?: number } = {}) =>
  answerOperation({
    schema,
    documents,
    params: { query, variables: undefined, operationName: undefined },
    method: extra.method ?? 'POST',
    graphqlResponse: extra.graphqlResponse ?? false,
    maxResponseBytes: extra.maxResponseBytes ?? 10_000,
    log,
    socketPath: '/graphql',
    context: extra.context ?? (() => ({ user: 'ann' })),
  });

describe('GraphQL over HTTP (over-http.ts)', () => {
  it('negotiates application/graphql-response+json by Accept, with q=0 meaning no', () => {
    assert.equal(wantsGraphQLResponse('application/graphql-response+json, application/json;q=0.9'), true);
    assert.equal(wantsGraphQLResponse('application/json'), false);
    assert.equal(wantsGraphQLResponse('application/graphql-response+json;q=0'), false);
    assert.equal(wantsGraphQLResponse(undefined), false);
  });

  it('guards: a foreign Origin with a cookie is 403; a simple POST and a cross-site GET are CSRF_REJECTED; JSON passes', () => {
    assert.equal(guardRequest('POST', { origin: 'https://evil.example', cookie: 'a=b', 'content-type': 'application/json' }, allows)?.status, 403);
    assert.equal(guardRequest('POST', { 'content-type': 'text/plain' }, allows)?.body['errors'] !== undefined, true);
    assert.equal(guardRequest('POST', { 'content-type': 'text/plain' }, allows)?.status, 400);
    assert.equal(guardRequest('GET', { 'sec-fetch-site': 'cross-site' }, allows)?.status, 400);
    assert.equal(guardRequest('GET', { 'sec-fetch-site': 'cross-site', origin: 'https://app.example' }, allows), undefined);
    assert.equal(guardRequest('POST', { 'content-type': 'application/json', origin: 'https://app.example', cookie: 'a=b' }, allows), undefined);
  });

  it('runs a query with the context built for it', async () => {
    const answer = await ask('{ hello who }');
    assert.deepEqual([answer.status, answer.media, JSON.parse(JSON.stringify(answer.body))], [200, 'application/json', { data: { hello: 'world', who: 'ann' } }]);
  });

  it('refuses a mutation over GET (405, Allow: POST) and a subscription (400), before building a context', async () => {
    let built = 0;
    const context = () => ((built += 1), { user: 'x' });
    const get = await ask('mutation { bump }', { method: 'GET', context });
    assert.deepEqual([get.status, get.headers], [405, { allow: 'POST' }]);
    assert.equal((await ask('subscription { tick }', { context })).status, 400);
    assert.equal(built, 0);
  });

  it('a document over the limits: 400 under graphql-response+json, 200 under application/json', async () => {
    const tooBig = `{ ${'hello '.repeat(300)} }`;
    assert.equal((await ask(tooBig, { graphqlResponse: true })).status, 400);
    assert.equal((await ask(tooBig)).status, 200);
  });

  it('a session store that cannot be reached is 503; any other context error is thrown', async () => {
    const down = await ask('{ who }', { context: () => Promise.reject(new StoreUnavailableError(new Error('ECONNREFUSED'))) });
    assert.equal(down.status, 503);
    await assert.rejects(ask('{ who }', { context: () => Promise.reject(new Error('a bug')) }), /a bug/);
  });

  it('a result over maxResponseBytes is refused with RESPONSE_TOO_LARGE', async () => {
    const answer = await ask('{ hello }', { maxResponseBytes: 10 });
    assert.equal((answer.body['errors'] as { extensions: { code: string } }[])[0]?.extensions.code, 'RESPONSE_TOO_LARGE');
  });
});
