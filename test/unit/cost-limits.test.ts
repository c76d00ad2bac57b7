/** The cost limits: aliases, root fields, introspection fields, fields; each named in its message. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getIntrospectionQuery, parse, validate } from 'graphql';
import { costLimits } from '../../src/graphql/cost-limits.js';
import { DEFAULT_COST_LIMITS, DocumentCache } from '../../src/graphql/document-cache.js';
import { createSchema } from '../../src/graphql/schema.js';

const schema = createSchema();
const limits = { maxAliases: 3, maxRootFields: 4, maxIntrospectionFields: 1, maxFields: 10 };
const check = (source: string, rule = limits) => validate(schema, parse(source), [costLimits(rule)]).map((error) => error.message);
const defaults = () => new DocumentCache(schema, { maxBytes: 16 * 1024, maxDepth: 12, maxTokens: 2000 });

describe('cost limits', () => {
  it('counts aliases, and names the limit', () => {
    assert.deepEqual(check('{ a: __typename b: __typename c: __typename }'), []);
    assert.deepEqual(check('{ a: __typename b: __typename c: __typename d: __typename }'), ['The document has 4 aliases; the limit is 3.']);
  });

  it('counts root fields through fragments and inline fragments, not nested ones', () => {
    assert.deepEqual(check('{ accountsMe { user { id email name } } __typename ... on Query { accountsSessions { id } } ...F } fragment F on Query { __typename }'), []);
    assert.deepEqual(check('{ __typename ... on Query { __typename } ...F } fragment F on Query { __typename __typename __typename }'), [
      'The document has 5 root fields; the limit is 4.',
    ]);
  });

  it('counts __schema and __type selections', () => {
    assert.deepEqual(check('{ __schema { queryType { name } } }'), []);
    assert.deepEqual(check('{ __schema { queryType { name } } __type(name: "Query") { name } }'), [
      'The document has 2 introspection fields (__schema, __type); the limit is 1.',
    ]);
  });

  it('MAX_INTROSPECTION_FIELDS=0 turns introspection off, __typename aside', () => {
    const off = { ...limits, maxIntrospectionFields: 0 };
    assert.deepEqual(check('{ __typename accountsMe { __typename } }', off), []);
    assert.deepEqual(check('{ __type(name: "Query") { name } }', off), ['The document has 1 introspection fields (__schema, __type); the limit is 0.']);
  });

  it('counts fields of every level, and every operation of the document', () => {
    assert.deepEqual(check('{ accountsMe { user { id email name createdAt } token } }'), []);
    assert.deepEqual(check('query A { accountsMe { user { id email name createdAt } token } } query B { accountsMe { token } __typename __typename }'), [
      'The document has 11 fields; the limit is 10.',
    ]);
  });

  it('reports every limit passed', () => {
    const messages = check('{ a: __schema { b: queryType { c: name d: kind } } e: __type(name: "Q") { name } }');
    assert.equal(messages.length, 2);
    assert.match(messages[0] ?? '', /5 aliases; the limit is 3/);
    assert.match(messages[1] ?? '', /2 introspection fields .*the limit is 1/);
  });

  it('counts a fragment spread twice in one selection set once, as execution collects it once', () => {
    let source = '{ ...F0 }';
    for (let i = 0; i < 30; i++) source += ` fragment F${i} on Query { ...F${i + 1} ... on Query { ...F${i + 1} } ...F${i + 1} }`;
    source += ' fragment F30 on Query { a: __typename }';
    assert.deepEqual(check(source), []);
    assert.deepEqual(check('{ accountsMe { ...U ...U } } fragment U on AccountsMe { a: token b: token c: token d: token }'), [
      'The document has 4 aliases; the limit is 3.',
    ]);
  });

  it('counts each spread of a fragment, measuring the fragment once: fragments doubling 30 times are refused at once', () => {
    // F(i) spreads F(i+1) directly and through G(i+1): execution collects it once, the count doubles.
    let source = '{ ...F0 }';
    for (let i = 0; i < 30; i++) source += ` fragment F${i} on Query { ...F${i + 1} ...G${i + 1} } fragment G${i + 1} on Query { ...F${i + 1} }`;
    source += ' fragment F30 on Query { a: __typename }';
    const started = performance.now();
    const messages = check(source);
    assert.ok(performance.now() - started < 500);
    assert.deepEqual(messages, [
      `The document has ${2 ** 30} aliases; the limit is 3.`,
      `The document has ${2 ** 30} root fields; the limit is 4.`,
      `The document has ${2 ** 30} fields; the limit is 10.`,
    ]);
  });

  it('saturates instead of overflowing, and terminates on fragment cycles', () => {
    let source = '{ ...F0 }';
    for (let i = 0; i < 60; i++) source += ` fragment F${i} on Query { ...F${i + 1} ...G${i + 1} } fragment G${i + 1} on Query { ...F${i + 1} }`;
    source += ' fragment F60 on Query { __typename }';
    assert.match(check(source)[0] ?? '', /^The document has more than \d+ root fields; the limit is 4\.$/);
    assert.doesNotThrow(() => check('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'));
  });

  it("lets the standard introspection query (GraphiQL's, Apollo Sandbox's) through at the default limits, with every option", () => {
    for (const query of [
      getIntrospectionQuery(),
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true }),
    ]) {
      assert.deepEqual(check(query, DEFAULT_COST_LIMITS), []);
      const prepared = defaults().prepare(query);
      assert.equal(prepared.ok, true, prepared.ok ? '' : prepared.errors.map((error) => error.message).join('; '));
    }
  });

  it('lets the demo and GraphiQL workspace documents through at the default limits', () => {
    for (const source of [
      'query me { accountsMe { user { email name } } }',
      'query accountsMe { accountsMe { user { id email name createdAt } token } }',
      'subscription accountsUserCount { accountsUserCount }',
      'subscription systemAnnouncements { systemAnnouncements { id message createdAt } }',
      'mutation accountsLogin($email: String!, $password: String!) { accountsLogin(email: $email, password: $password) { id email name } }',
    ]) {
      assert.equal(defaults().prepare(source).ok, true, source);
    }
  });

  it('refuses the 250 aliased __schema of the issue with GRAPHQL_VALIDATION_FAILED, before the specified rules run', () => {
    const source = `{ ${Array.from({ length: 250 }, (_, i) => `a${i}:__schema{...S}`).join(' ')} } fragment S on __Schema { types { name } }`;
    const prepared = defaults().prepare(source);
    assert.equal(prepared.ok, false);
    if (prepared.ok) return;
    assert.deepEqual(
      prepared.errors.map((error) => [error.extensions['code'], error.message]),
      [
        ['GRAPHQL_VALIDATION_FAILED', 'The document has 250 aliases; the limit is 30.'],
        ['GRAPHQL_VALIDATION_FAILED', 'The document has 250 root fields; the limit is 20.'],
        ['GRAPHQL_VALIDATION_FAILED', 'The document has 250 introspection fields (__schema, __type); the limit is 3.'],
        ['GRAPHQL_VALIDATION_FAILED', 'The document has 750 fields; the limit is 300.'],
      ],
    );
  });
});
