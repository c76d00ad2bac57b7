/** Parse and validation once per document, with size, token and depth limits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildSchema, getIntrospectionQuery, parse, validate } from 'graphql';
import { createSchema } from '../../src/graphql/schema.js';
import { depthLimit } from '../../src/graphql/depth-limit.js';
import { DocumentCache, selectOperation } from '../../src/graphql/document-cache.js';

const schema = buildSchema(`
  type Node { id: ID! child: Node }
  type Query { node: Node hello: String }
`);

const limits = { maxBytes: 4096, maxDepth: 4, maxTokens: 500 };
const nested = (levels: number) => `{ ${'node { '.repeat(1)}${'child { '.repeat(levels - 2)}id${' }'.repeat(levels - 1)} }`;

function codes(result: ReturnType<DocumentCache['prepare']>): unknown[] {
  return result.ok ? [] : result.errors.map((error) => error.extensions['code']);
}

describe('DocumentCache', () => {
  it('parses and validates a document once: the same source gives the same prepared document', () => {
    const cache = new DocumentCache(schema, limits);
    const first = cache.prepare('{ hello }');
    const second = cache.prepare('{ hello }');
    assert.ok(first.ok && second.ok);
    assert.equal(second.prepared, first.prepared);
    const other = cache.prepare('{ node { id } }');
    assert.ok(other.ok);
    assert.notEqual(other.prepared.id, first.prepared.id);
  });

  it('keeps documents within a budget of bytes, dropping the least recently used', () => {
    const docs = ['{ hello }', '{ node { id } }', '{ a: hello }'];
    // Room for two of these small documents, not three.
    const each = Math.max(...docs.map((source) => {
      const prepared = new DocumentCache(schema, limits).prepare(source);
      assert.ok(prepared.ok);
      return prepared.prepared.bytes;
    }));
    const cache = new DocumentCache(schema, { ...limits, cacheBytes: 2 * each + 10 });
    const a = cache.prepare('{ hello }');
    cache.prepare('{ node { id } }');
    cache.prepare('{ hello }'); // a is now the most recent
    cache.prepare('{ a: hello }'); // evicts '{ node { id } }'
    assert.ok(cache.bytes <= 2 * each + 10);
    assert.equal(cache.size, 2);
    const again = cache.prepare('{ hello }');
    assert.ok(a.ok && again.ok);
    assert.equal(again.prepared, a.prepared);
    const evicted = cache.prepare('{ node { id } }');
    assert.ok(evicted.ok);
    assert.ok(evicted.prepared.id > a.prepared.id + 1, 'prepared anew after eviction');
  });

  it('refuses a parse error as GRAPHQL_PARSE_FAILED, and a schema mismatch as GRAPHQL_VALIDATION_FAILED', () => {
    const cache = new DocumentCache(schema, limits);
    assert.deepEqual(codes(cache.prepare('{ hello')), ['GRAPHQL_PARSE_FAILED']);
    assert.deepEqual(codes(cache.prepare('{ nope }')), ['GRAPHQL_VALIDATION_FAILED']);
  });

  it('refuses a document over maxBytes (counted in bytes, not characters)', () => {
    const cache = new DocumentCache(schema, { ...limits, maxBytes: 64 });
    assert.equal(cache.prepare(`{ hello } # ${'x'.repeat(40)}`).ok, true);
    const refused = cache.prepare(`{ hello } # ${'é'.repeat(30)}`);
    assert.deepEqual(codes(refused), ['GRAPHQL_VALIDATION_FAILED']);
    assert.ok(!refused.ok && /larger than 64 bytes/.test(refused.errors[0]?.message ?? ''));
  });

  it('refuses a document over maxTokens before validating it', () => {
    const cache = new DocumentCache(schema, { ...limits, maxTokens: 50 });
    assert.deepEqual(codes(cache.prepare(`{ ${'hello '.repeat(60)}}`)), ['GRAPHQL_PARSE_FAILED']);
  });

  it('accepts a document exactly at maxDepth and refuses one level deeper', () => {
    const cache = new DocumentCache(schema, limits);
    assert.equal(cache.prepare(nested(4)).ok, true);
    const deeper = cache.prepare(nested(5));
    assert.deepEqual(codes(deeper), ['GRAPHQL_VALIDATION_FAILED']);
    assert.ok(!deeper.ok && /deeper than the limit of 4/.test(deeper.errors[0]?.message ?? ''));
  });
});

describe('depthLimit', () => {
  const check = (source: string, limit = 3) => validate(schema, parse(source), [depthLimit(limit)]).map((error) => error.message);

  it('counts fields through fragments and inline fragments', () => {
    assert.deepEqual(check('{ node { ...A } } fragment A on Node { child { id } }'), []);
    assert.equal(check('{ node { ...A } } fragment A on Node { child { child { id } } }').length, 1);
    assert.equal(check('{ node { ... on Node { child { child { id } } } } }').length, 1);
  });

  it('measures each fragment once: fragments that each spread the next twice take linear, not exponential, time', () => {
    let source = '{ ...F0 }';
    for (let i = 0; i < 24; i++) source += ` fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`;
    source += ' fragment F24 on Query { node { child { id } } }';
    const started = performance.now();
    assert.deepEqual(check(source), []);
    assert.equal(check(source.replace('{ node { child { id } } }', '{ node { child { child { id } } } }')).length, 1);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
  });

  it('terminates on fragment cycles', () => {
    assert.doesNotThrow(() => check('{ node { ...A } } fragment A on Node { child { ...A } }', 50));
  });

  it('checks every operation of a document', () => {
    assert.equal(check('query A { hello } query B { node { child { child { id } } } }').length, 1);
  });
});

describe('selectOperation', () => {
  const cache = new DocumentCache(schema, limits);
  const prepared = (source: string) => {
    const result = cache.prepare(source);
    assert.ok(result.ok);
    return result.prepared;
  };

  it('takes the only operation when no name is given', () => {
    assert.equal(selectOperation(prepared('{ hello }'), undefined)?.operation, 'query');
  });

  it('needs a name when there are several, and finds it', () => {
    const doc = prepared('query A { hello } query B { hello }');
    assert.equal(selectOperation(doc, null), undefined);
    assert.equal(selectOperation(doc, 'B')?.name?.value, 'B');
    assert.equal(selectOperation(doc, 'C'), undefined);
  });
});

describe('introspection and the depth limit', () => {
  it("passes the standard introspection query (GraphiQL's, Apollo Sandbox's, codegen's) under the default depth limit", () => {
    const cache = new DocumentCache(createSchema(), { maxBytes: 64 * 1024, maxDepth: 12, maxTokens: 2000 });
    const prepared = cache.prepare(getIntrospectionQuery());
    assert.equal(prepared.ok, true, prepared.ok ? '' : prepared.errors.map((e) => e.message).join('; '));
  });

  it('still refuses an introspection nested past its own limit', () => {
    const cache = new DocumentCache(createSchema(), { maxBytes: 64 * 1024, maxDepth: 12, maxTokens: 2000 });
    const deep = `{ __schema { types { fields { type ${'{ ofType '.repeat(20)}{ name }${' }'.repeat(20)} } } } }`;
    const prepared = cache.prepare(deep);
    assert.equal(prepared.ok, false);
    assert.match(prepared.ok ? '' : (prepared.errors[0]?.message ?? ''), /introspection is nested deeper/);
  });

  it('does not let a fragment of introspection escape the limit on its second use', () => {
    const cache = new DocumentCache(createSchema(), { maxBytes: 64 * 1024, maxDepth: 12, maxTokens: 2000 });
    const chain = `${'{ ofType '.repeat(20)}{ name }${' }'.repeat(20)}`;
    const doc = `query A { ...F } query B { ...F } fragment F on Query { __schema { queryType ${chain} } }`;
    const prepared = cache.prepare(doc);
    assert.equal(prepared.ok, false);
  });
});

describe('DocumentCache: bytes, locations and documents held by subscriptions', () => {
  const realSchema = createSchema();
  const base = { maxBytes: 16 * 1024, maxDepth: 12, maxTokens: 2000 };
  // A distinct subscription document of about `fields` fields (a comment makes each source distinct).
  const subscription = (i: number, fields = 200) =>
    `subscription S { systemAnnouncements { ${'id @include(if: true) '.repeat(fields)} } } # ${i}`;
  const ok = (result: ReturnType<DocumentCache['prepare']>) => {
    assert.ok(result.ok, result.ok ? '' : result.errors.map((error) => error.message).join('; '));
    return result.prepared;
  };

  it('keeps no locations in the documents it caches', () => {
    const cache = new DocumentCache(realSchema, base);
    const prepared = ok(cache.prepare('{ accountsMe { token } }'));
    assert.equal(prepared.document.loc, undefined);
    assert.equal(prepared.operations[0]?.loc, undefined);
  });

  it('still gives parse and validation errors their line and column', () => {
    const cache = new DocumentCache(realSchema, base);
    const invalid = cache.prepare('{\n  accountsMe {\n    nope\n  }\n}');
    assert.ok(!invalid.ok);
    assert.equal(invalid.errors[0]?.message, 'Cannot query field "nope" on type "AccountsMe".');
    assert.deepEqual(invalid.errors[0]?.locations, [{ line: 3, column: 5 }]);
    assert.equal(invalid.errors[0]?.nodes, undefined, 'no AST kept for a cached error');
    const broken = cache.prepare('{\n  accountsMe {');
    assert.ok(!broken.ok);
    assert.equal(broken.errors[0]?.extensions['code'], 'GRAPHQL_PARSE_FAILED');
    assert.deepEqual(broken.errors[0]?.locations, [{ line: 2, column: 15 }]);
  });

  it('estimates at least what a document takes: more for more tokens', () => {
    const small = ok(new DocumentCache(realSchema, base).prepare(subscription(0, 10)));
    const large = ok(new DocumentCache(realSchema, base).prepare(subscription(0, 200)));
    assert.ok(large.bytes > 200 * 8 * 200, `${large.bytes} bytes for 1600 tokens`);
    assert.ok(small.bytes < large.bytes / 10);
  });

  it('estimates no less than the heap documents really take (measured, after gc)', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const shapes = [
      (i: number) => subscription(i),
      (i: number) => `{ ${'__typename '.repeat(290)}} # ${i}`,
      (i: number) => `{ __schema { ${'types { fields { name } } '.repeat(99)}} } # ${i}`,
    ];
    for (const shape of shapes) {
      const cache = new DocumentCache(realSchema, { ...base, cost: { maxAliases: 30, maxRootFields: 1000, maxIntrospectionFields: 3, maxFields: 1000 }, cacheBytes: 1 << 30 });
      const sources = Array.from({ length: 100 }, (_, i) => shape(i));
      gc();
      const before = process.memoryUsage().heapUsed;
      for (const source of sources) ok(cache.prepare(source));
      gc();
      const taken = process.memoryUsage().heapUsed - before;
      assert.ok(taken <= cache.bytes, `${shape(0).slice(0, 30)}: ${taken} bytes taken, ${cache.bytes} estimated`);
    }
  });

  it('never holds more than its budget, however many distinct documents come', () => {
    const budget = 4 * 1024 * 1024;
    const cache = new DocumentCache(realSchema, { ...base, cacheBytes: budget });
    for (let i = 0; i < 300; i++) {
      ok(cache.prepare(subscription(i)));
      assert.ok(cache.bytes <= budget, `${cache.bytes} bytes after ${i + 1} documents`);
    }
    assert.ok(cache.size < 300 && cache.size > 5, `${cache.size} kept`);
  });

  it('shares one held document between the subscriptions of the same source, and counts it once', () => {
    const cache = new DocumentCache(realSchema, base);
    const first = cache.hold(ok(cache.prepare(subscription(1))));
    const second = cache.hold(ok(cache.prepare(subscription(1))));
    assert.ok(first !== undefined && second !== undefined);
    assert.equal(second.prepared, first.prepared);
    assert.equal(cache.heldBytes, first.prepared.bytes);
    first.release();
    assert.equal(cache.heldBytes, first.prepared.bytes, 'still held by the second');
    second.release();
    assert.equal(cache.heldBytes, 0);
    second.release(); // one release too many changes nothing
    assert.equal(cache.heldBytes, 0);
    assert.ok(cache.bytes >= first.prepared.bytes, 'still cached, unheld');
    assert.equal(ok(cache.prepare(subscription(1))), first.prepared, 'kept, unheld, after the last release');
  });

  it('does not evict held documents; refuses a new one once held documents fill the budget; takes it once one is released', () => {
    const budget = 4 * 1024 * 1024;
    const cache = new DocumentCache(realSchema, { ...base, cacheBytes: budget });
    const holds = [];
    let refused = -1;
    for (let i = 0; i < 2000; i++) {
      const prepared = ok(cache.prepare(subscription(i)));
      const hold = cache.hold(prepared);
      if (hold === undefined) {
        refused = i;
        break;
      }
      holds.push(hold);
      assert.ok(cache.bytes <= budget);
    }
    assert.ok(refused > 5, `refused at ${refused}`);
    assert.ok(cache.heldBytes <= budget && cache.heldBytes + holds[0]!.prepared.bytes > budget);
    // Held documents stay, the same objects, however much else is prepared.
    for (let i = 5000; i < 5100; i++) ok(cache.prepare(subscription(i)));
    assert.equal(ok(cache.prepare(subscription(0))), holds[0]!.prepared);
    // A document already held is shared, not refused.
    assert.ok(cache.hold(holds[0]!.prepared) !== undefined);
    holds[1]!.release();
    assert.ok(cache.hold(ok(cache.prepare(subscription(refused)))) !== undefined);
    assert.ok(cache.bytes <= budget);
  });
});
