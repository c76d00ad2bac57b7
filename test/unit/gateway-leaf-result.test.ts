/**
 * The fan-out's fast path for a leaf root field (leaf-result.ts) against graphql-js's
 * `execute`: the same JSON for every document it takes, and no plan (so `execute`
 * runs, errors and all) for every document it must not take.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSchema, execute, GraphQLScalarType, parse } from 'graphql';
import { leafPlan, leafResultJson } from '../../src/gateway/fanout/leaf-result.js';
import { Fanout } from '../../src/gateway/fanout/fanout.js';
import { TopicRegistry, type Subscriber } from '../../src/gateway/fanout/topic-registry.js';
import { nextPrefix } from '../../src/gateway/protocol/frames.js';
import type { GraphQLContext } from '../../src/graphql/context.js';
import { eventValue } from '../../src/graphql/event-value.js';
import { createSchema } from '../../src/graphql/schema.js';

function testSchema() {
  const schema = buildSchema(`
    type Query { x: Int }
    enum Level { LOW HIGH }
    scalar Odd
    type Thing { a: Int }
    type Subscription {
      count: Int!
      maybe: Int
      name: String!
      ratio: Float
      flag: Boolean!
      ident: ID
      level: Level!
      odd: Odd
      thing: Thing
      list: [Int!]
      withArg(x: Int): Int
      other: Int
    }
  `);
  const fields = schema.getSubscriptionType()!.getFields();
  for (const name of Object.keys(fields)) fields[name]!.resolve = eventValue;
  fields['other']!.resolve = (event) => Number(event) + 1;
  // A custom scalar that refuses some values: the fast path must leave those to execute.
  const odd = schema.getType('Odd') as GraphQLScalarType;
  odd.serialize = (value: unknown) => {
    if (typeof value !== 'number' || value % 2 === 0) throw new TypeError(`not odd: ${String(value)}`);
    return value;
  };
  return schema;
}

const events: unknown[] = [0, 1, -7, 2 ** 31, 3.5, '12', 'x', true, false, null, 'LOW', 'HIGH', 'MEDIUM', { a: 1 }, [1, 2], '', 'é✓😀"\\\n'];

describe('leafPlan and leafResultJson', () => {
  const schema = testSchema();
  const taken = [
    'subscription { count }',
    'subscription { maybe }',
    'subscription { name }',
    'subscription { ratio }',
    'subscription { flag }',
    'subscription { ident }',
    'subscription { level }',
    'subscription { odd }',
    'subscription { renamed: count }',
    'subscription { __proto__: maybe }',
    'subscription Named { count }',
    'subscription A { count } subscription B { name }',
  ];

  for (const source of taken) {
    test(`gives execute's exact JSON, or leaves the event to execute: ${source}`, () => {
      const document = parse(source);
      const operationName = source.includes('subscription A') ? 'B' : undefined;
      const plan = leafPlan(schema, document, operationName);
      assert.ok(plan !== undefined, 'a plan');
      let fast = 0;
      for (const event of events) {
        const expected = execute({ schema, document, rootValue: event, operationName }) as { errors?: unknown };
        const json = leafResultJson(plan, event);
        if (expected.errors !== undefined) {
          assert.equal(json, undefined, `execute reports an error for ${JSON.stringify(event)}: the fast path must not answer`);
        } else {
          assert.equal(json, JSON.stringify(expected), `event ${JSON.stringify(event)}`);
          fast++;
        }
      }
      assert.ok(fast > 0, 'some events take the fast path');
    });
  }

  const refused = [
    'subscription { thing { a } }',
    'subscription { list }',
    'subscription { withArg }',
    'subscription { withArg(x: 1) }',
    'subscription { other }',
    'subscription ($s: Boolean!) { count @include(if: $s) }',
    'subscription @deprecated { count }',
    'subscription { ...F } fragment F on Subscription { count }',
    'subscription { ... on Subscription { count } }',
    'subscription { count count }',
    'subscription { __typename }',
    'query { x }',
    'subscription A { count } subscription B { name }',
  ];
  for (const source of refused) {
    test(`has no plan (execute runs): ${source}`, () => {
      // The two-operation document without an operation name: execute refuses it, so must the plan.
      assert.equal(leafPlan(schema, parse(source), undefined), undefined);
    });
  }

  test("the real schema's per-user field takes the fast path; the announcement object does not", () => {
    const schema = createSchema();
    const plan = leafPlan(schema, parse('subscription { accountsUserCount }'), undefined);
    assert.ok(plan !== undefined);
    assert.equal(leafResultJson(plan, 7), '{"data":{"accountsUserCount":7}}');
    assert.equal(leafPlan(schema, parse('subscription { systemAnnouncements { id message createdAt } }'), undefined), undefined);
  });
});

describe('Fanout with the fast path', () => {
  test('sends the same frames as execute would, and execute still reports the errors', () => {
    const schema = testSchema();
    const registry = new TopicRegistry();
    const logged: unknown[] = [];
    const fanout = new Fanout(schema, registry, { error: (object) => logged.push(object) });
    const frames: string[] = [];
    const sink = { sendFrame: (frame: string) => frames.push(frame) };
    const subscriber: Subscriber = { sink, prefix: nextPrefix('7'), group: undefined };
    const document = parse('subscription { count }');
    const context = { auth: { user: { id: 'u' } } } as unknown as GraphQLContext;
    registry.add('t', 'k', { document, operationName: undefined, variables: undefined, context }, subscriber);
    for (const event of [5, 'nope', null, 6]) {
      fanout.deliver('t', JSON.stringify(event));
    }
    assert.equal(frames.length, 4);
    assert.deepEqual(JSON.parse(frames[0]!), { id: '7', type: 'next', payload: { data: { count: 5 } } });
    assert.equal(frames[0], `${nextPrefix('7')}{"data":{"count":5}}}`);
    for (const frame of [frames[1]!, frames[2]!]) {
      const parsed = JSON.parse(frame);
      assert.equal(parsed.payload.data, null);
      assert.equal(parsed.payload.errors.length, 1);
    }
    assert.deepEqual(JSON.parse(frames[3]!).payload, { data: { count: 6 } });
    assert.equal(subscriber.group?.leaf?.key, 'count', 'the plan is kept on the group');
  });
});
