/**
 * The topic registry and the fan-out with fake sinks: one execution and one
 * serialization per group of (document, variables, scope), each subscriber's
 * own id spliced into the frame.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSchema, type DocumentNode, parse } from 'graphql';
import { Fanout } from '../../src/gateway/fanout/fanout.js';
import { type GroupSpec, memberCount, type Subscriber, TopicRegistry } from '../../src/gateway/fanout/topic-registry.js';
import { nextPrefix } from '../../src/gateway/protocol/frames.js';
import type { GraphQLContext } from '../../src/graphql/context.js';

class FakeSink {
  readonly frames: string[] = [];
  sendFrame(frame: string): void {
    this.frames.push(frame);
  }
}

function subscriber(sink: FakeSink, id: string): Subscriber {
  return { sink, prefix: nextPrefix(id), group: undefined };
}

const context = (userId: string) => ({ auth: { user: { id: userId } } }) as unknown as GraphQLContext;

function spec(document: DocumentNode, ctx: GraphQLContext, variables?: Record<string, unknown>): GroupSpec {
  return { document, operationName: undefined, variables, context: ctx };
}

describe('TopicRegistry', () => {
  const doc = parse('subscription { n }');

  test('reports a topic as new on its first subscriber and as emptied on its last', () => {
    const registry = new TopicRegistry();
    const sink = new FakeSink();
    const [a, b, c] = [subscriber(sink, 'a'), subscriber(sink, 'b'), subscriber(sink, 'c')];
    assert.equal(registry.add('t', 'k1', spec(doc, context('u')), a), true);
    assert.equal(registry.add('t', 'k1', spec(doc, context('u')), b), false);
    assert.equal(registry.add('t', 'k2', spec(doc, context('u')), c), false);
    assert.equal(a.group, b.group, 'equal keys share a group');
    assert.notEqual(a.group, c.group);
    assert.equal(registry.topicCount, 1);
    assert.equal(registry.remove(a), undefined);
    assert.equal(registry.remove(c), undefined);
    assert.equal(registry.remove(b), 't');
    assert.equal(registry.topicCount, 0);
    assert.deepEqual([...registry.topics()], []);
    assert.equal(registry.remove(b), undefined, 'removing twice is harmless');
  });

  test('a lone subscriber is its group\'s member and a lone group its topic\'s entry; more make a Set and a Map', () => {
    const registry = new TopicRegistry();
    const sink = new FakeSink();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => subscriber(sink, id)) as [Subscriber, Subscriber, Subscriber, Subscriber];
    assert.equal(registry.add('t', 'k1', spec(doc, context('u')), a), true);
    assert.equal(a.group?.members, a, 'no Set for one member');
    assert.equal(registry.groups('t'), a.group, 'no Map for one group');
    assert.equal(registry.add('t', 'k1', spec(doc, context('u')), b), false);
    assert.ok(a.group?.members instanceof Set);
    assert.equal(memberCount(a.group!), 2);
    assert.equal(registry.add('t', 'k2', spec(doc, context('v')), c), false);
    assert.ok(registry.groups('t') instanceof Map);
    assert.equal(registry.add('t', 'k3', spec(doc, context('w')), d), false);
    assert.deepEqual([...registry.allGroups()].map(memberCount), [2, 1, 1]);
    assert.equal(registry.remove(c), undefined);
    assert.equal(registry.remove(a), undefined);
    assert.equal(registry.remove(d), undefined);
    assert.equal(registry.remove(d), undefined, 'removing twice is harmless');
    assert.equal(registry.remove(b), 't');
    assert.equal(registry.topicCount, 0);
    // Alone again: a single group, removed with its member.
    assert.equal(registry.add('t', 'k2', spec(doc, context('v')), c), true);
    assert.equal(registry.remove(c), 't');
  });

  test('equal keys of different scopes are different groups, alone on a topic and in its Map', () => {
    const registry = new TopicRegistry();
    const sink = new FakeSink();
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((id) => subscriber(sink, id)) as [Subscriber, Subscriber, Subscriber, Subscriber, Subscriber];
    const scoped = (user: string): GroupSpec => ({ ...spec(doc, context(user)), scope: user });
    assert.equal(registry.add('t', 'k', scoped('u'), a), true);
    assert.equal(registry.add('t', 'k', scoped('v'), b), false);
    assert.notEqual(a.group, b.group, "one user's group is not another's");
    assert.ok(registry.groups('t') instanceof Map);
    assert.equal(registry.add('t', 'k', scoped('u'), c), false);
    assert.equal(c.group, a.group, 'the same key and scope share a group in the Map');
    assert.equal(registry.add('t', 'k', spec(doc, context('w')), d), false);
    assert.notEqual(d.group, a.group, 'a shared-scope group is apart from the user groups');
    assert.equal(registry.add('t', 'k', scoped(''), e), false);
    assert.equal(e.group, d.group, "scope '' is the shared scope");
    assert.deepEqual([...registry.allGroups()].map(memberCount), [2, 1, 2]);
    for (const s of [a, b, c, d]) assert.equal(registry.remove(s), undefined);
    assert.equal(registry.remove(e), 't');
    assert.equal(registry.topicCount, 0);
  });

  test('a group holds no subscriber after its last one left (nothing is retained)', () => {
    const registry = new TopicRegistry();
    const sink = new FakeSink();
    for (let i = 0; i < 1000; i++) {
      const s = subscriber(sink, String(i));
      registry.add(`topic-${i % 7}`, `key-${i % 3}`, spec(doc, context('u')), s);
      registry.remove(s);
      assert.equal(s.group, undefined);
    }
    assert.equal(registry.topicCount, 0);
  });
});

describe('Fanout', () => {
  const typeDefs = 'type Query { x: Int } type Subscription { n: Int!, whoAndN(times: Int): String! }';
  function setup() {
    const schema = buildSchema(typeDefs);
    let executions = 0;
    const fields = schema.getSubscriptionType()!.getFields();
    fields['n']!.resolve = (event) => {
      executions++;
      return event;
    };
    fields['whoAndN']!.resolve = (event, args: { times?: number }, ctx: GraphQLContext) => {
      executions++;
      return `${ctx.auth?.user.id}:${Number(event) * (args.times ?? 1)}`;
    };
    const registry = new TopicRegistry();
    const errors: unknown[] = [];
    const fanout = new Fanout(schema, registry, { error: (object) => errors.push(object) });
    return { registry, fanout, errors, executions: () => executions };
  }

  test('executes once per group and sends every subscriber its own id with the same payload', () => {
    const { registry, fanout, executions } = setup();
    const doc = parse('subscription { n }');
    const sinks = Array.from({ length: 50 }, () => new FakeSink());
    sinks.forEach((sink, i) => registry.add('count', 'doc1', spec(doc, context('u')), subscriber(sink, `op-${i}`)));
    fanout.deliver('count', '7');
    assert.equal(executions(), 1);
    sinks.forEach((sink, i) => {
      assert.equal(sink.frames.length, 1);
      assert.deepEqual(JSON.parse(sink.frames[0]!), { id: `op-${i}`, type: 'next', payload: { data: { n: 7 } } });
    });
    const payloads = new Set(sinks.map((sink, i) => sink.frames[0]!.slice(nextPrefix(`op-${i}`).length)));
    assert.equal(payloads.size, 1, 'one serialization shared by all');
  });

  test('separate groups (other variables or another scope) execute separately and get their own results', () => {
    const { registry, fanout, executions } = setup();
    const doc = parse('subscription ($t: Int) { whoAndN(times: $t) }');
    const [alice1, alice2, bob, aliceTriple] = [new FakeSink(), new FakeSink(), new FakeSink(), new FakeSink()];
    registry.add('t', 'alice', spec(doc, context('alice'), { t: 1 }), subscriber(alice1, 'a1'));
    registry.add('t', 'alice', spec(doc, context('alice'), { t: 1 }), subscriber(alice2, 'a2'));
    registry.add('t', 'bob', spec(doc, context('bob'), { t: 1 }), subscriber(bob, 'b'));
    registry.add('t', 'alice-x3', spec(doc, context('alice'), { t: 3 }), subscriber(aliceTriple, 'a3'));
    fanout.deliver('t', '2');
    assert.equal(executions(), 3);
    assert.equal(JSON.parse(alice1.frames[0]!).payload.data.whoAndN, 'alice:2');
    assert.equal(JSON.parse(alice2.frames[0]!).payload.data.whoAndN, 'alice:2');
    assert.equal(JSON.parse(bob.frames[0]!).payload.data.whoAndN, 'bob:2');
    assert.equal(JSON.parse(aliceTriple.frames[0]!).payload.data.whoAndN, 'alice:6');
  });

  test('a topic without subscribers, or an event that is not JSON, sends nothing and does not throw', () => {
    const { registry, fanout, errors } = setup();
    fanout.deliver('nobody', '1');
    const sink = new FakeSink();
    registry.add('t', 'k', spec(parse('subscription { n }'), context('u')), subscriber(sink, '1'));
    fanout.deliver('t', '{not json');
    assert.deepEqual(sink.frames, []);
    assert.equal(errors.length, 1);
  });

  test('a subscriber removed by a send (a slow consumer closing) does not stop the others', () => {
    const { registry, fanout } = setup();
    const doc = parse('subscription { n }');
    const receivers: FakeSink[] = [];
    const closing = {
      frames: [] as string[],
      sendFrame(frame: string) {
        this.frames.push(frame);
        registry.remove(self);
      },
    };
    const self = subscriber(closing as unknown as FakeSink, 'slow');
    registry.add('t', 'k', spec(doc, context('u')), subscriber((receivers[0] = new FakeSink()), 'r0'));
    registry.add('t', 'k', spec(doc, context('u')), self);
    registry.add('t', 'k', spec(doc, context('u')), subscriber((receivers[1] = new FakeSink()), 'r1'));
    fanout.deliver('t', '1');
    fanout.deliver('t', '2');
    assert.equal(closing.frames.length, 1);
    for (const sink of receivers) assert.equal(sink.frames.length, 2);
  });

  test('a resolver error reaches the subscriber as a formatted error, without internals', () => {
    const schema = buildSchema(typeDefs);
    schema.getSubscriptionType()!.getFields()['n']!.resolve = () => {
      throw new Error('SELECT * FROM secrets failed');
    };
    const registry = new TopicRegistry();
    const logged: unknown[] = [];
    const fanout = new Fanout(schema, registry, { error: (object) => logged.push(object) });
    const sink = new FakeSink();
    registry.add('t', 'k', spec(parse('subscription { n }'), context('u')), subscriber(sink, '1'));
    fanout.deliver('t', '1');
    const frame = JSON.parse(sink.frames[0]!);
    assert.equal(frame.payload.errors[0].extensions.code, 'INTERNAL_SERVER_ERROR');
    assert.ok(!sink.frames[0]!.includes('secrets'));
    assert.equal(logged.length, 1);
  });
});
