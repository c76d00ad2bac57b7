/**
 * The event-stream bytes, read by graphql-sse's own client (2.6, over a fetch that
 * answers with these bytes): what it reports for `next`, `complete`, the final
 * session-over events and a stream that just ends; and that a fan-out event's
 * bytes are built once and shared (with the socket subscribers' payload bytes too).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient, type ExecutionResult } from 'graphql-sse';
import { NextPayload } from '../../src/gateway/fanout/next-payload.js';
import {
  completeEvent,
  DISTINCT_COMPLETE,
  dataLines,
  EVENTS_MISSED_CODE,
  eventsMissedEvent,
  finalEvents,
  KEEP_ALIVE,
  nextEvent,
  operationHead,
  SSE_SHARE_PAYLOAD_FROM,
  SseNext,
  sseNextOf,
  StreamEnd,
  writeSseNext,
} from '../../src/sse/event-stream.js';

type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

const streamOf = (chunks: readonly Buffer[]) =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new Uint8Array(chunk));
        controller.close();
      },
    }),
    { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } },
  );

interface Outcome {
  results: ExecutionResult[];
  end: 'complete' | 'no end within 10 s' | { error: unknown };
}

/** Runs one subscription through graphql-sse's client; resolves what its sink saw. */
function run(fetchFn: FetchFn, options: { singleConnection?: boolean; retryAttempts?: number } = {}): Promise<Outcome> {
  const client = createClient({
    url: 'http://tessera.test/graphql',
    // A turn of the event loop per request, as a network gives: a client that reconnects
    // forever then spins through timers instead of starving them.
    fetchFn: async (url: string, init: RequestInit) => {
      await new Promise((resolve) => setImmediate(resolve));
      return fetchFn(url, init);
    },
    retryAttempts: options.retryAttempts ?? 0,
    retry: async () => {},
    singleConnection: options.singleConnection ?? false,
    generateID: () => 'op-1',
  });
  const results: ExecutionResult[] = [];
  let timer: NodeJS.Timeout | undefined;
  return new Promise((resolve) => {
    // The client waits forever for a stream that ended without `complete` before it was
    // waiting (see docs/sse-design.md): bounded here, so that such a case fails, not hangs.
    timer = setTimeout(() => resolve({ results, end: 'no end within 10 s' }), 10_000);
    client.subscribe(
      { query: 'subscription { systemAnnouncements }' },
      {
        next: (value) => results.push(value as ExecutionResult),
        complete: () => resolve({ results, end: 'complete' }),
        error: (error: unknown) => resolve({ results, end: { error } }),
      },
    );
  }).finally(() => {
    clearTimeout(timer);
    client.dispose();
  }) as Promise<Outcome>;
}

const payloadOf = (value: unknown) => new NextPayload(JSON.stringify(value));
const big = { data: { systemAnnouncements: 'x'.repeat(SSE_SHARE_PAYLOAD_FROM * 2) } };

test('distinct stream: keep-alive comments, next events small and large, and complete, as the client reads them', async () => {
  const calls: string[] = [];
  const outcome = await run(async (_url, init) => {
    calls.push(String(init.method));
    return streamOf([KEEP_ALIVE, new SseNext(payloadOf({ data: { systemAnnouncements: 'héllo' } }), '5-0').distinct, KEEP_ALIVE, new SseNext(payloadOf(big), '6-0').distinct, DISTINCT_COMPLETE]);
  });
  assert.deepEqual(outcome, { results: [{ data: { systemAnnouncements: 'héllo' } }, big], end: 'complete' });
  assert.deepEqual(calls, ['POST']);
});

test('a session that is over: the client gets the reason as a GraphQL error, then completes, and does not reconnect', async () => {
  for (const end of [StreamEnd.sessionEnded, StreamEnd.sessionExpired, StreamEnd.userGone]) {
    let fetches = 0;
    const outcome = await run(
      async () => {
        fetches++;
        return streamOf([new SseNext(payloadOf({ data: { systemAnnouncements: 'a' } }), undefined).distinct, finalEvents(end)]);
      },
      { retryAttempts: 5 },
    );
    assert.deepEqual(outcome, {
      results: [{ data: { systemAnnouncements: 'a' } }, { errors: [{ message: end.reason, extensions: { code: 'UNAUTHENTICATED' } }] }],
      end: 'complete',
    });
    assert.equal(fetches, 1, 'no reconnect after a final end');
  }
  assert.equal(finalEvents(StreamEnd.sessionEnded), finalEvents(StreamEnd.sessionEnded), 'a distinct final frame is built once per reason');
});

test('a retry end (shutdown, slow consumer) sends nothing: the stream just ends, and the client reconnects', async () => {
  assert.equal(finalEvents(StreamEnd.goingAway).length, 0);
  assert.equal(finalEvents(StreamEnd.slowConsumer, ['op-1']).length, 0);
  let fetches = 0;
  const outcome = await run(
    async () => {
      fetches++;
      const first = new SseNext(payloadOf({ data: { systemAnnouncements: String(fetches) } }), `${fetches}-0`).distinct;
      if (fetches > 1) return streamOf([first, DISTINCT_COMPLETE]);
      // The end comes later than the last event, while the client waits for more (an idle stream at shutdown).
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new Uint8Array(first));
            setTimeout(() => {
              controller.enqueue(new Uint8Array(finalEvents(StreamEnd.goingAway)));
              controller.close();
            }, 50);
          },
        }),
        { status: 200 },
      );
    },
    { retryAttempts: 1 },
  );
  assert.equal(fetches, 2, 'the client reconnected once');
  assert.deepEqual(outcome, { results: [{ data: { systemAnnouncements: '1' } }, { data: { systemAnnouncements: '2' } }], end: 'complete' });
});

test('an event name outside next/complete would be fatal for the client but lose the reason: that is why none is sent', async () => {
  const outcome = await run(async () => streamOf([Buffer.from('event: error\ndata: {"message":"session ended"}\n\n')]), { retryAttempts: 5 });
  assert.ok(typeof outcome.end === 'object');
  assert.match(String(outcome.end.error), /Invalid stream event "error"/);
  assert.doesNotMatch(String(outcome.end.error), /session ended/);
});

/** A single-connection server: PUT → 201 token, GET → the stream, POST → 202 then `onOperation` writes to the stream, DELETE → 200. */
function singleConnectionFetch(onOperation: (write: (chunk: Buffer) => void) => void) {
  const seen: string[] = [];
  let push: ((chunk: Buffer) => void) | undefined;
  const fetchFn: FetchFn = async (url, init) => {
    const headers = new Headers(init.headers);
    seen.push(`${init.method} ${headers.get('x-graphql-event-stream-token') ?? '-'} ${new URL(url).search}`);
    if (init.method === 'PUT') return new Response('tok-1', { status: 201, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    if (init.method === 'DELETE') return new Response(null, { status: 200 });
    if (headers.get('accept') === 'text/event-stream') {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          push = (chunk) => controller.enqueue(new Uint8Array(chunk));
          push(KEEP_ALIVE);
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }
    const write = push;
    assert.ok(write !== undefined, 'the stream is open before the operation is posted');
    setImmediate(() => onOperation(write));
    return new Response(null, { status: 202 });
  };
  return { fetchFn, seen };
}

test('single connection: an operation gets its events by id (small: one buffer; large: head + shared bytes), then complete', async () => {
  const small = new SseNext(payloadOf({ data: { systemAnnouncements: 'a' } }), '1-0');
  const large = new SseNext(payloadOf(big), '2-0');
  const { fetchFn, seen } = singleConnectionFetch((write) => {
    const out = { write: (chunk: Buffer) => (write(chunk), true) };
    const head = operationHead('op-1');
    writeSseNext(out, small, head);
    writeSseNext(out, large, head);
    write(completeEvent('op-1'));
  });
  const outcome = await run(fetchFn, { singleConnection: true });
  assert.deepEqual(outcome, { results: [{ data: { systemAnnouncements: 'a' } }, big], end: 'complete' });
  assert.deepEqual(seen, ['PUT - ', 'GET tok-1 ', 'POST tok-1 ']);
});

test('single connection: a session that is over ends each operation with the reason, then complete', async () => {
  const { fetchFn } = singleConnectionFetch((write) => write(finalEvents(StreamEnd.sessionEnded, ['op-1'])));
  const outcome = await run(fetchFn, { singleConnection: true, retryAttempts: 5 });
  assert.deepEqual(outcome, { results: [{ errors: [{ message: 'session ended', extensions: { code: 'UNAUTHENTICATED' } }] }], end: 'complete' });
});

test('a fan-out event is built once: one SseNext per payload, one distinct Buffer, and the socket payload bytes shared', () => {
  const payload = payloadOf(big);
  const next = sseNextOf(payload, '7-0');
  assert.equal(sseNextOf(payload, 'ignored'), next);
  assert.equal(next.id, '7-0');
  assert.equal(next.distinct, next.distinct, 'one distinct frame for every stream');
  const head = operationHead('op-a');
  const parts = next.forOperation(head);
  assert.equal(parts.length, 3);
  assert.equal(parts[0], head.bytes, "the operation's head, built once when it started");
  assert.equal(parts[1], payload.bytes, 'the payload bytes are the ones sockets are written');
  assert.equal(next.forOperation(operationHead('op-b'))[1], parts[1], 'and the same for every operation');
  assert.equal(Buffer.concat(parts).toString(), `event: next\ndata: {"id":"op-a","payload":${JSON.stringify(big)}}\n\n`);
  const small = sseNextOf(payloadOf({ data: { a: 1 } }), undefined);
  assert.deepEqual(small.forOperation(operationHead('op-a')).map(String), ['event: next\ndata: {"id":"op-a","payload":{"data":{"a":1}}}\n\n']);
  assert.equal(String(small.distinct), 'event: next\ndata: {"data":{"a":1}}\n\n', 'no id line without an id');
  assert.equal(String(sseNextOf(payloadOf({ data: { a: 1 } }), '9-3').distinct), 'id: 9-3\nevent: next\ndata: {"data":{"a":1}}\n\n');
});

test('writeSseNext returns the sink back-pressure answer', () => {
  const next = new SseNext(payloadOf(big), undefined);
  const chunks: Buffer[] = [];
  assert.equal(writeSseNext({ write: (chunk) => (chunks.push(chunk), false) }, next, undefined), false);
  assert.equal(writeSseNext({ write: (chunk) => (chunks.push(chunk), true) }, next, operationHead('op')), true);
  assert.equal(chunks.length, 4);
});

test('text with newlines becomes several data: lines, which the client joins back; an id with a newline is dropped', async () => {
  assert.equal(dataLines('a\nb\r\nc'), 'data: a\ndata: b\ndata: c\n');
  const pretty = new NextPayload(JSON.stringify({ data: { systemAnnouncements: 'line1\nline2' } }, null, 2));
  const outcome = await run(async () => streamOf([new SseNext(pretty, 'bad\nid').distinct, DISTINCT_COMPLETE]));
  assert.deepEqual(outcome, { results: [{ data: { systemAnnouncements: 'line1\nline2' } }], end: 'complete' });
  assert.doesNotMatch(String(new SseNext(pretty, 'bad\nid').distinct), /^id:/m);
  const { fetchFn } = singleConnectionFetch((write) => {
    for (const part of new SseNext(pretty, undefined).forOperation(operationHead('op-1'))) write(part);
    write(completeEvent('op-1'));
  });
  assert.deepEqual(await run(fetchFn, { singleConnection: true }), { results: [{ data: { systemAnnouncements: 'line1\nline2' } }], end: 'complete' });
});

test('the events-missed signal is a next with EVENTS_MISSED, and the stream goes on', async () => {
  const outcome = await run(async () =>
    streamOf([eventsMissedEvent(undefined), nextEvent('{"data":{"systemAnnouncements":"b"}}', undefined, '3-0'), DISTINCT_COMPLETE]),
  );
  assert.equal(outcome.end, 'complete');
  assert.equal(outcome.results[0]?.errors?.[0]?.extensions?.['code'], EVENTS_MISSED_CODE);
  assert.deepEqual(outcome.results[1], { data: { systemAnnouncements: 'b' } });
  assert.match(String(eventsMissedEvent('4-1')), /^id: 4-1\nevent: next\n/);
});
