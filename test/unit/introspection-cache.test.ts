/** Introspection-only queries run once per (document, operation, variables); the rest always run. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import type { GraphQLContext } from '../../src/graphql/context.js';
import { DocumentCache, selectOperation } from '../../src/graphql/document-cache.js';
import { IntrospectionCache, isIntrospectionOnly } from '../../src/graphql/introspection-cache.js';
import { runOperation } from '../../src/graphql/run-operation.js';
import { createSchema } from '../../src/graphql/schema.js';

const schema = createSchema();
const context = { transport: 'http', auth: undefined, client: { ip: '127.0.0.1', userAgent: undefined }, cookies: undefined, services: {} } as unknown as GraphQLContext;

function setup() {
  const documents = new DocumentCache(schema, { maxBytes: 16 * 1024, maxDepth: 12, maxTokens: 2000 });
  const run = async (source: string, variables?: Record<string, unknown>, operationName?: string) => {
    const prepared = documents.prepare(source);
    assert.ok(prepared.ok, prepared.ok ? '' : prepared.errors[0]?.message);
    const operation = selectOperation(prepared.prepared, operationName);
    assert.ok(operation !== undefined);
    return runOperation({ schema, documents, prepared: prepared.prepared, operation, operationName, variables, contextValue: context });
  };
  return { documents, run };
}

describe('introspection results', () => {
  it('computes the standard introspection once and serves the same result again', async () => {
    const { documents, run } = setup();
    const first = await run(getIntrospectionQuery());
    assert.equal(first.errors, undefined);
    assert.ok((first.data as { __schema: { types: unknown[] } }).__schema.types.length > 10);
    assert.equal(await run(getIntrospectionQuery()), first);
    assert.equal(documents.introspection.size, 1);
  });

  it('keeps one result per variables, and none for results with errors', async () => {
    const { documents, run } = setup();
    const source = 'query T($name: String!) { __type(name: $name) { name } __typename }';
    const query = await run(source, { name: 'Query' });
    const mutation = await run(source, { name: 'Mutation' });
    assert.deepEqual(JSON.parse(JSON.stringify(query.data)), { __type: { name: 'Query' }, __typename: 'Query' });
    assert.deepEqual(JSON.parse(JSON.stringify(mutation.data)), { __type: { name: 'Mutation' }, __typename: 'Query' });
    assert.equal(await run(source, { name: 'Query' }), query);
    assert.equal(documents.introspection.size, 2);
    const failed = await run(source, {});
    assert.ok(failed.errors !== undefined);
    assert.equal(documents.introspection.size, 2);
  });

  it('runs anything else every time: a query reading data is never served from memory', async () => {
    const { documents, run } = setup();
    const first = await run('{ __typename accountsMe { token } }');
    assert.notEqual(await run('{ __typename accountsMe { token } }'), first);
    assert.equal(documents.introspection.size, 0);
  });

  it('tells introspection-only operations apart, through fragments', () => {
    const documents = new DocumentCache(schema, { maxBytes: 16 * 1024, maxDepth: 12, maxTokens: 2000 });
    const only = (source: string) => {
      const prepared = documents.prepare(source);
      assert.ok(prepared.ok, prepared.ok ? '' : prepared.errors[0]?.message);
      return isIntrospectionOnly(prepared.prepared.operations[0]!, prepared.prepared);
    };
    assert.equal(only('{ __schema { queryType { name } } }'), true);
    assert.equal(only('{ ...F ... on Query { __typename } } fragment F on Query { __type(name: "Query") { name } }'), true);
    assert.equal(only('{ ...F } fragment F on Query { __typename accountsMe { token } }'), false);
    assert.equal(only('mutation { __typename }'), false);
  });

  it('is bounded in entries and bytes', () => {
    const cache = new IntrospectionCache(2, 1000);
    cache.set('a', { data: { x: 'a' } });
    cache.set('b', { data: { x: 'b' } });
    cache.get('a');
    cache.set('c', { data: { x: 'c' } });
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b'), undefined, 'the least recently used went');
    assert.ok(cache.get('a') !== undefined);
    cache.set('big', { data: { x: 'x'.repeat(2000) } });
    assert.equal(cache.get('big'), undefined, 'larger than the whole budget: not kept');
  });
});
