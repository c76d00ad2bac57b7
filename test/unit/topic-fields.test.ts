/** declareTopics and the gateway's limits: pure. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildSchema } from 'graphql';
import { declareTopics, passEventsThrough, topicSpecOf } from '../../src/gateway/topic-fields.js';
import { DEFAULT_GATEWAY_LIMITS, gatewayLimits } from '../../src/gateway/gateway-limits.js';
import { eventValue } from '../../src/graphql/event-value.js';

const sdl = 'type Query { a: Int } type Subscription { news: String  chat(room: String!): String }';

describe('declareTopics', () => {
  test('puts the spec in the field extensions; other fields stay standard', () => {
    const schema = buildSchema(sdl);
    const topic = () => 'news';
    declareTopics(schema, { news: { scope: 'global', topic } });
    const fields = schema.getSubscriptionType()?.getFields() ?? {};
    assert.equal(topicSpecOf(fields['news']!)?.topic, topic);
    assert.equal(topicSpecOf(fields['news']!)?.scope, 'global');
    assert.equal(topicSpecOf(fields['chat']!), undefined);
  });

  test('refuses an unknown field and a bad scope', () => {
    const schema = buildSchema(sdl);
    assert.throws(() => declareTopics(schema, { nope: { scope: 'global', topic: () => 'x' } }), /no field Subscription\.nope/);
    assert.throws(() => declareTopics(schema, { news: { scope: 'everyone' as 'global', topic: () => 'x' } }), /scope/);
  });

  test('a fast-path field without a resolver passes the event through; a field with one keeps it', () => {
    const schema = buildSchema(sdl);
    declareTopics(schema, { news: { scope: 'user', topic: () => 'n' }, chat: { scope: 'global', topic: () => 'c' } });
    const fields = schema.getSubscriptionType()?.getFields() ?? {};
    const own = () => 'own';
    fields['chat']!.resolve = own;
    passEventsThrough(schema);
    assert.equal(fields['news']!.resolve, eventValue);
    assert.equal(fields['chat']!.resolve, own);
  });
});

describe('gatewayLimits', () => {
  test('every limit has a default; given ones replace it; undefined keeps it, but for the optional total budget', () => {
    assert.deepEqual(gatewayLimits(undefined), DEFAULT_GATEWAY_LIMITS);
    const limits = gatewayLimits({ maxConnectionsPerUser: 3, initTimeoutMs: undefined, maxTotalBufferedBytes: undefined });
    assert.equal(limits.maxConnectionsPerUser, 3);
    assert.equal(limits.initTimeoutMs, DEFAULT_GATEWAY_LIMITS.initTimeoutMs);
    assert.equal(limits.maxTotalBufferedBytes, undefined);
    for (const [name, value] of Object.entries(DEFAULT_GATEWAY_LIMITS)) assert.notEqual(value, undefined, name);
  });
});
