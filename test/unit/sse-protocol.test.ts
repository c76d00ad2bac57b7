/** The GraphQL-over-SSE request reader, pure: both modes, as graphql-sse 2.6's client sends them, and every refusal. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptsEventStream, parseSseRequest, type SseRequestView, SseRefusalMessage } from '../../src/sse/protocol.js';

const STREAM = 'text/event-stream';
const JSON_TYPE = 'application/json; charset=utf-8';
const TOKEN = 'Wm9vbWFuZ2F0b3JzLWFyZS1yZWFsLWFuZC1jb29sLTEyMw';
const SUBSCRIPTION = 'subscription { systemAnnouncements }';

const parse = (view: Partial<SseRequestView> & { method: string }) => parseSseRequest({ url: '/graphql', headers: {}, ...view });

test('Accept: a stream is asked for by naming text/event-stream, never by a wildcard', () => {
  assert.equal(acceptsEventStream('text/event-stream'), true);
  assert.equal(acceptsEventStream('application/json, text/event-stream;q=0.5'), true);
  assert.equal(acceptsEventStream('TEXT/EVENT-STREAM'), true);
  assert.equal(acceptsEventStream('text/event-stream;q=0'), false);
  assert.equal(acceptsEventStream('*/*'), false);
  assert.equal(acceptsEventStream('text/*'), false);
  assert.equal(acceptsEventStream(undefined), false);
});

test('an ordinary GraphQL-over-HTTP request is not SSE (the HTTP route answers it)', () => {
  assert.deepEqual(parse({ method: 'POST', headers: { 'content-type': JSON_TYPE }, body: { query: '{ a }' } }), { kind: 'not-sse' });
  assert.deepEqual(parse({ method: 'GET', url: '/graphql?query=%7Ba%7D', headers: { accept: 'application/graphql-response+json' } }), {
    kind: 'not-sse',
  });
  assert.deepEqual(parse({ method: 'PATCH' }), { kind: 'not-sse' });
});

test('distinct connections: POST with a JSON body, as the graphql-sse client sends it', () => {
  const request = parse({
    method: 'POST',
    headers: { accept: STREAM, 'content-type': JSON_TYPE, 'last-event-id': '1733100000000-4' },
    body: { query: SUBSCRIPTION, variables: { a: 1 }, operationName: null, extensions: { persisted: true } },
  });
  assert.deepEqual(request, {
    kind: 'distinct',
    params: { query: SUBSCRIPTION, variables: { a: 1 }, operationName: undefined, extensions: { persisted: true } },
    ticket: undefined,
    lastEventId: '1733100000000-4',
  });
});

test('distinct connections: GET with the operation in the search params (EventSource)', () => {
  const search = new URLSearchParams({ query: SUBSCRIPTION, variables: '{"n":2}', operationName: 'A', extensions: '{"x":1}' });
  assert.deepEqual(parse({ method: 'GET', url: `/graphql?${search}`, headers: { accept: STREAM } }), {
    kind: 'distinct',
    params: { query: SUBSCRIPTION, variables: { n: 2 }, operationName: 'A', extensions: { x: 1 } },
    ticket: undefined,
    lastEventId: undefined,
  });
});

test('a ticket comes from the Authorization header or the body, never from the URL', () => {
  const fromHeader = parse({ method: 'POST', headers: { accept: STREAM, 'content-type': JSON_TYPE, authorization: 'Bearer t1.abc.def' }, body: { query: SUBSCRIPTION } });
  assert.equal(fromHeader.kind === 'distinct' && fromHeader.ticket, 't1.abc.def');
  const fromBody = parse({ method: 'POST', headers: { accept: STREAM, 'content-type': JSON_TYPE }, body: { query: SUBSCRIPTION, extensions: { token: 't1.x.y' } } });
  assert.equal(fromBody.kind === 'distinct' && fromBody.ticket, 't1.x.y');
  for (const query of ['ticket=t1.a.b', 'access_token=x', 'auth=x', 'session=x', 'apiKey=x', 'password=x']) {
    const refused = parse({ method: 'GET', url: `/graphql?query=%7Ba%7D&${query}`, headers: { accept: STREAM } });
    assert.deepEqual(refused, { kind: 'refused', status: 400, message: SseRefusalMessage.credentialInUrl }, query);
  }
  const inExtensions = new URLSearchParams({ query: SUBSCRIPTION, extensions: '{"token":"t1.a.b"}' });
  assert.deepEqual(parse({ method: 'GET', url: `/graphql?${inExtensions}`, headers: { accept: STREAM } }), {
    kind: 'refused',
    status: 400,
    message: SseRefusalMessage.credentialInUrl,
  });
  assert.match(SseRefusalMessage.credentialInUrl, /Authorization: Bearer/);
});

test('distinct connections: malformed parameters are 400 with the HTTP route messages, a non-JSON POST 415', () => {
  const cases: [Partial<SseRequestView> & { method: string }, number, RegExp][] = [
    [{ method: 'POST', headers: { accept: STREAM, 'content-type': JSON_TYPE }, body: { variables: {} } }, 400, /'query' string/],
    [{ method: 'POST', headers: { accept: STREAM, 'content-type': JSON_TYPE }, body: [1] }, 400, /JSON object/],
    [{ method: 'POST', headers: { accept: STREAM, 'content-type': JSON_TYPE }, body: { query: '{a}', variables: [1] } }, 400, /'variables' must be an object/],
    [{ method: 'POST', headers: { accept: STREAM, 'content-type': JSON_TYPE }, body: { query: '{a}', extensions: 'x' } }, 400, /'extensions' must be an object/],
    [{ method: 'GET', url: '/graphql?query=%7Ba%7D&variables=%7B', headers: { accept: STREAM } }, 400, /'variables' is not valid JSON/],
    [{ method: 'GET', url: '/graphql?query=%7Ba%7D&extensions=%5B1%5D', headers: { accept: STREAM } }, 400, /'extensions' must be an object/],
    [{ method: 'GET', url: '/graphql?query=%7Ba%7D&extensions=nope', headers: { accept: STREAM } }, 400, /'extensions' is not valid JSON/],
    [{ method: 'GET', url: '/graphql?query=a&query=b', headers: { accept: STREAM } }, 400, /'query' string/],
    [{ method: 'POST', headers: { accept: STREAM, 'content-type': 'text/plain' }, body: '{"query":"{a}"}' }, 415, /application\/json/],
  ];
  for (const [view, status, message] of cases) {
    const result = parse(view);
    assert.equal(result.kind, 'refused', JSON.stringify(view));
    if (result.kind !== 'refused') continue;
    assert.equal(result.status, status, JSON.stringify(view));
    assert.match(result.message, message);
  }
});

test('single connection: PUT reserves, whatever stale token the client still sends; Accept must allow text/plain', () => {
  assert.deepEqual(parse({ method: 'PUT' }), { kind: 'reserve', ticket: undefined });
  assert.deepEqual(parse({ method: 'PUT', headers: { accept: '*/*', authorization: 'Bearer t1.p.q', 'x-graphql-event-stream-token': TOKEN } }), {
    kind: 'reserve',
    ticket: 't1.p.q',
  });
  assert.deepEqual(parse({ method: 'PUT', headers: { accept: 'text/plain' } }), { kind: 'reserve', ticket: undefined });
  assert.deepEqual(parse({ method: 'PUT', headers: { accept: 'application/json' } }), { kind: 'refused', status: 406, message: SseRefusalMessage.notAcceptable });
});

test('single connection: the stream is opened with the token in the header, or in ?token= (EventSource)', () => {
  assert.deepEqual(parse({ method: 'GET', headers: { accept: STREAM, 'x-graphql-event-stream-token': TOKEN } }), {
    kind: 'stream',
    token: { value: TOKEN, from: 'header' },
    lastEventId: undefined,
  });
  assert.deepEqual(parse({ method: 'GET', url: `/graphql?token=${TOKEN}`, headers: { accept: STREAM } }), {
    kind: 'stream',
    token: { value: TOKEN, from: 'url' },
    lastEventId: undefined,
  });
  // The header wins over the URL.
  const both = parse({ method: 'GET', url: '/graphql?token=other', headers: { accept: STREAM, 'x-graphql-event-stream-token': TOKEN } });
  assert.deepEqual(both.kind === 'stream' && both.token, { value: TOKEN, from: 'header' });
  // ?token= is the reservation token, but another credential beside it is still refused.
  assert.deepEqual(parse({ method: 'GET', url: `/graphql?token=${TOKEN}&ticket=x`, headers: { accept: STREAM } }), {
    kind: 'refused',
    status: 400,
    message: SseRefusalMessage.credentialInUrl,
  });
});

test('single connection: an operation is POSTed with the token and extensions.operationId', () => {
  const id = 'b2a9c2f4-3c1e-4d0a-9f8e-1d2c3b4a5f60';
  const request = parse({
    method: 'POST',
    headers: { 'x-graphql-event-stream-token': TOKEN, 'content-type': JSON_TYPE, authorization: 'Bearer ignored' },
    body: { query: SUBSCRIPTION, extensions: { operationId: id } },
  });
  assert.deepEqual(request, {
    kind: 'operation',
    token: { value: TOKEN, from: 'header' },
    operationId: id,
    params: { query: SUBSCRIPTION, variables: undefined, operationName: undefined, extensions: { operationId: id } },
  });
  const get = parse({ method: 'GET', url: `/graphql?${new URLSearchParams({ query: '{a}', extensions: JSON.stringify({ operationId: 'op1' }) })}`, headers: { 'x-graphql-event-stream-token': TOKEN } });
  assert.equal(get.kind === 'operation' && get.operationId, 'op1');
  const missing = parse({ method: 'POST', headers: { 'x-graphql-event-stream-token': TOKEN, 'content-type': JSON_TYPE }, body: { query: '{a}' } });
  assert.deepEqual(missing, { kind: 'refused', status: 400, message: SseRefusalMessage.operationIdMissing });
  const long = parse({
    method: 'POST',
    headers: { 'x-graphql-event-stream-token': TOKEN, 'content-type': JSON_TYPE },
    body: { query: '{a}', extensions: { operationId: 'x'.repeat(129) } },
  });
  assert.deepEqual(long, { kind: 'refused', status: 400, message: SseRefusalMessage.operationIdTooLong });
  const notAcceptable = parse({ method: 'POST', headers: { accept: 'text/html', 'x-graphql-event-stream-token': TOKEN, 'content-type': JSON_TYPE }, body: { query: '{a}' } });
  assert.deepEqual(notAcceptable, { kind: 'refused', status: 406, message: SseRefusalMessage.notAcceptable });
});

test('single connection: DELETE ?operationId= stops one; without a token 404, without an id 400', () => {
  assert.deepEqual(parse({ method: 'DELETE', url: '/graphql?operationId=op1', headers: { 'x-graphql-event-stream-token': TOKEN } }), {
    kind: 'stop',
    token: { value: TOKEN, from: 'header' },
    operationId: 'op1',
  });
  assert.deepEqual(parse({ method: 'DELETE', url: '/graphql?operationId=op1' }), { kind: 'refused', status: 404, message: SseRefusalMessage.streamNotFound });
  assert.deepEqual(parse({ method: 'DELETE', headers: { 'x-graphql-event-stream-token': TOKEN } }), {
    kind: 'refused',
    status: 400,
    message: SseRefusalMessage.operationIdMissing,
  });
});

test('other methods on an SSE request are 405 with Allow', () => {
  assert.deepEqual(parse({ method: 'PATCH', headers: { 'x-graphql-event-stream-token': TOKEN } }), {
    kind: 'refused',
    status: 405,
    message: SseRefusalMessage.methodNotAllowed,
    headers: { allow: 'GET, POST, PUT, DELETE' },
  });
});

test('Last-Event-ID: read when short, ignored when too long or repeated', () => {
  const of = (value: string | string[]) => {
    const request = parse({ method: 'GET', url: '/graphql?query=%7Ba%7D', headers: { accept: STREAM, 'last-event-id': value } });
    return request.kind === 'distinct' ? request.lastEventId : 'not distinct';
  };
  assert.equal(of('1-0'), '1-0');
  assert.equal(of('x'.repeat(65)), undefined);
  assert.equal(of(['1-0', '2-0']), undefined);
});
