/** jsonSize: JSON.stringify's byte length without the string, with an early exit. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonSize } from '../../src/graphql/json-size.js';

const exact = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? '');

describe('jsonSize', () => {
  it('equals the UTF-8 length of JSON.stringify for what results are made of', () => {
    const values: unknown[] = [
      null,
      true,
      false,
      0,
      -12.5,
      1e21,
      Number.NaN,
      '',
      'plain',
      'quote " backslash \\ newline \n tab \t nul \u0000',
      'é, ✓, 😀 and a lone \ud800 surrogate',
      [],
      [1, 'two', null, undefined, () => 1, { a: [] }],
      {},
      { a: 1, b: undefined, c: 'x', 'k"ey': [true, false], nested: { deeper: [{ x: null }] } },
      Object.assign(Object.create(null), { data: { __schema: { types: [{ name: 'Query', fields: null }] } } }),
      { when: new Date(0) },
    ];
    for (const value of values) assert.equal(jsonSize(value), exact(value), JSON.stringify(value));
  });

  it('stops once over the limit, reporting some size above it', () => {
    const big = { data: Array.from({ length: 100_000 }, (_, i) => ({ id: String(i), name: 'x'.repeat(50) })) };
    assert.ok(jsonSize(big, 1000) > 1000);
    // The array's commas count at once, then the walk stops at the first element past the limit.
    assert.ok(jsonSize(big, 1000) < exact(big) / 50, 'the walk stopped early');
    assert.equal(jsonSize(big, Number.POSITIVE_INFINITY), exact(big));
    assert.equal(jsonSize({ a: 'b' }, exact({ a: 'b' })), exact({ a: 'b' }), 'exactly at the limit is not over it');
  });
});
