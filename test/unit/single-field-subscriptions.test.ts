/** @skip/@include on a subscription's root selection: a validation error, never a throw. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DocumentCache } from '../../src/graphql/document-cache.js';
import { createSchema } from '../../src/graphql/schema.js';

const cache = new DocumentCache(createSchema(), { maxBytes: 16 * 1024, maxDepth: 12, maxTokens: 2000 });
const messages = (source: string) => {
  const prepared = cache.prepare(source);
  return prepared.ok ? [] : prepared.errors.map((error) => `${String(error.extensions['code'])}: ${error.message}`);
};

describe('single-field subscriptions', () => {
  for (const source of [
    'subscription($s: Boolean!) { accountsUserCount @skip(if: $s) }',
    'subscription($s: Boolean!) { accountsUserCount @include(if: $s) }',
    'subscription { accountsUserCount @skip(if: true) systemAnnouncements { id } }',
    'subscription($s: Boolean!) { ... @include(if: $s) { accountsUserCount } }',
    'subscription($s: Boolean!) { ...F @skip(if: $s) } fragment F on Subscription { accountsUserCount }',
    'subscription($s: Boolean!) { ...F } fragment F on Subscription { accountsUserCount @skip(if: $s) }',
  ]) {
    it(`refuses ${source}`, () => {
      assert.deepEqual(messages(source), [
        'GRAPHQL_VALIDATION_FAILED: Anonymous Subscription must not use @skip or @include in its root selection: a subscription has exactly one root field.',
      ]);
    });
  }

  it('names the operation', () => {
    assert.match(messages('subscription Count($s: Boolean!) { accountsUserCount @skip(if: $s) }')[0] ?? '', /^GRAPHQL_VALIDATION_FAILED: Subscription "Count" must not/);
  });

  it('still allows the directives below the root field, and still refuses two root fields', () => {
    assert.deepEqual(messages('subscription($s: Boolean!) { systemAnnouncements { id message @skip(if: $s) } }'), []);
    assert.deepEqual(messages('subscription { accountsUserCount systemAnnouncements { id } }'), [
      'GRAPHQL_VALIDATION_FAILED: Anonymous Subscription must select only one top level field.',
    ]);
    assert.deepEqual(messages('subscription { __typename }'), [
      'GRAPHQL_VALIDATION_FAILED: Anonymous Subscription must not select an introspection top level field.',
    ]);
  });
});
