/**
 * The SSE cores put together over real HTTP, before the gateway wiring exists:
 * a node:http server on a free port that uses only src/sse (request reader,
 * reservations, event bytes, memory resumption log) and the fan-out's NextPayload,
 * with a stand-in for sessions (the cookie `sid=<id>` is the session). It shows
 * that graphql-sse 2.6.1's client runs over these bytes in both modes with Node's
 * fetch, that a session's end reaches it as a final error without reconnecting,
 * and that a dropped stream resumed with Last-Event-ID loses no event in the
 * window. The gateway and Fastify plugin replace this server next session.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type ExecutionResult } from 'graphql-sse';
import { after, before, describe, it } from '../helpers/suite.js';
import { NextPayload } from '../../src/gateway/fanout/next-payload.js';
import {
  completeEvent,
  EVENT_STREAM_HEADERS,
  EVENTS_MISSED_CODE,
  eventsMissedEvent,
  finalEvents,
  KEEP_ALIVE,
  operationHead,
  sseNextOf,
  StreamEnd,
  writeSseNext,
} from '../../src/sse/event-stream.js';
import { parseSseRequest } from '../../src/sse/protocol.js';
import { Reservations } from '../../src/sse/reservations.js';
import { MemoryResumptionLog } from '../../src/sse/resumption-log.js';

const TOPIC = 'announcements';

interface Sink {
  readonly response: ServerResponse;
  readonly sessionId: string | undefined;
  /** undefined: a distinct stream; else the reservation's token. */
  readonly token: string | undefined;
}

class CoresServer {
  readonly log = new MemoryResumptionLog({ maxEvents: 5, maxAgeMs: 60_000 });
  readonly reservations = new Reservations({ ttlMs: 5_000 });
  readonly distinct = new Set<Sink>();
  /** token → its open stream. */
  readonly single = new Map<string, Sink>();
  readonly requests: string[] = [];
  server: Server = createServer((request, response) => void this.#handle(request, response));

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }

  /** Publishes on the topic: logged first (the id), then written to every stream, the frame built once. */
  async publish(text: string): Promise<string> {
    const id = await this.log.append(TOPIC, JSON.stringify(text));
    const payload = new NextPayload(JSON.stringify({ data: { systemAnnouncements: text } }));
    const next = sseNextOf(payload, id);
    for (const sink of this.distinct) writeSseNext(sink.response, next, undefined);
    for (const [token, sink] of this.single) {
      const found = this.reservations.find({ token, from: 'header', cookieSessionId: sink.sessionId });
      // (The gateway keeps each operation's head from its start; built here per event for brevity.)
      if (found.ok) for (const operationId of found.value.operations) writeSseNext(sink.response, next, operationHead(operationId));
    }
    return id;
  }

  /** Logout: every stream of the session gets the final events and ends. */
  endSession(sessionId: string): void {
    for (const sink of this.distinct) {
      if (sink.sessionId !== sessionId) continue;
      this.distinct.delete(sink);
      sink.response.end(finalEvents(StreamEnd.sessionEnded));
    }
    for (const reservation of this.reservations.releaseSession(sessionId)) {
      const sink = this.single.get(reservation.token);
      this.single.delete(reservation.token);
      sink?.response.end(finalEvents(StreamEnd.sessionEnded, reservation.operations));
    }
  }

  async close(): Promise<void> {
    for (const sink of [...this.distinct, ...this.single.values()]) sink.response.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const body = text === '' ? undefined : JSON.parse(text);
    const sessionId = /(?:^|; )sid=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
    const parsed = parseSseRequest({ method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers, body });
    this.requests.push(`${request.method} ${parsed.kind}`);
    const refuse = (status: number, message: string) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message }] }));
    switch (parsed.kind) {
      case 'refused':
        return refuse(parsed.status, parsed.message);
      case 'not-sse':
        return refuse(404, 'not an SSE request');
      case 'reserve': {
        const reserved = this.reservations.reserve({
          via: sessionId === undefined ? 'anonymous' : 'cookie',
          sessionId,
          userId: sessionId,
          address: request.socket.remoteAddress ?? '',
        });
        if (!reserved.ok) return refuse(reserved.status, reserved.message);
        return response.writeHead(201, { 'content-type': 'text/plain; charset=utf-8' }).end(reserved.value.token);
      }
      case 'stream': {
        const attached = this.reservations.attach({ token: parsed.token.value, from: parsed.token.from, cookieSessionId: sessionId });
        if (!attached.ok) return refuse(attached.status, attached.message);
        const sink = { response, sessionId, token: parsed.token.value };
        this.single.set(parsed.token.value, sink);
        response.writeHead(200, EVENT_STREAM_HEADERS).write(KEEP_ALIVE);
        response.on('close', () => {
          this.single.delete(sink.token);
          this.reservations.release(sink.token);
        });
        return;
      }
      case 'operation': {
        const added = this.reservations.addOperation({ token: parsed.token.value, from: parsed.token.from, cookieSessionId: sessionId }, parsed.operationId);
        if (!added.ok) return refuse(added.status, added.message);
        return response.writeHead(202).end();
      }
      case 'stop': {
        const stopped = this.reservations.stopOperation({ token: parsed.token.value, from: parsed.token.from, cookieSessionId: sessionId }, parsed.operationId);
        if (!stopped.ok) return refuse(stopped.status, stopped.message);
        this.single.get(parsed.token.value)?.response.write(completeEvent(parsed.operationId));
        return response.writeHead(200).end();
      }
      case 'distinct': {
        response.writeHead(200, EVENT_STREAM_HEADERS).write(KEEP_ALIVE);
        if (parsed.lastEventId !== undefined) {
          const missed = await this.log.since(TOPIC, parsed.lastEventId);
          if (missed.gap) response.write(eventsMissedEvent(undefined));
          for (const event of missed.events) {
            const payload = new NextPayload(JSON.stringify({ data: { systemAnnouncements: JSON.parse(event.data) } }));
            writeSseNext(response, sseNextOf(payload, event.id), undefined);
          }
        }
        const sink = { response, sessionId, token: undefined };
        this.distinct.add(sink);
        response.on('close', () => this.distinct.delete(sink));
        return;
      }
    }
  }
}

/** Reads a distinct stream with fetch (as an EventSource would): events with their ids. */
async function readEvents(url: string, count: number, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${url}?query=${encodeURIComponent('subscription { systemAnnouncements }')}`, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const events: { id: string | undefined; data: ExecutionResult }[] = [];
  let buffered = '';
  const decoder = new TextDecoder();
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const started = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (/^event: next$/m.test(block) && data !== undefined) events.push({ id, data: JSON.parse(data) });
        if (events.length >= count) return;
      }
    }
  })();
  return {
    events,
    done: started,
    drop: () => controller.abort(),
  };
}

const eventually = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 1_000; i++) {
    if (check()) return;
    await sleep(10);
  }
  assert.fail(`never: ${what}`);
};

describe('the SSE cores over real HTTP, with graphql-sse 2.6.1 client', () => {
  let cores: CoresServer;
  let url: string;

  before(async () => {
    cores = new CoresServer();
    url = await cores.listen();
  });
  after(() => cores.close());

  for (const singleConnection of [false, true]) {
    const mode = singleConnection ? 'single connection' : 'distinct connections';
    // A bound, so that a stream that never completes fails the test instead of hanging it.
    it(`${mode}: events arrive in order, and logout ends the subscription with the reason, without a reconnect`, { timeout: 20_000 }, async () => {
      const sessionId = singleConnection ? 'single-1' : 'distinct-1';
      const client = createClient({ url, singleConnection, headers: { cookie: `sid=${sessionId}` }, retryAttempts: 5, retry: async () => {} });
      const results: ExecutionResult[] = [];
      const ended = new Promise<string>((resolve) => {
        client.subscribe(
          { query: 'subscription { systemAnnouncements }' },
          { next: (value) => void results.push(value as ExecutionResult), complete: () => resolve('complete'), error: (error) => resolve(`error: ${String(error)}`) },
        );
      });
      const hasOperations = (sink: Sink) => {
        const found = cores.reservations.find({ token: sink.token as string, from: 'header', cookieSessionId: sink.sessionId });
        return found.ok && found.value.operations.size > 0;
      };
      const streams = () =>
        singleConnection
          ? [...cores.single.values()].filter((sink) => sink.sessionId === sessionId && hasOperations(sink))
          : [...cores.distinct].filter((sink) => sink.sessionId === sessionId);
      await eventually('the stream is open', () => streams().length === 1);
      const requestsBefore = cores.requests.length;
      await cores.publish('one');
      await cores.publish('two');
      await eventually('two events', () => results.length === 2);
      cores.endSession(sessionId);
      assert.equal(await ended, 'complete');
      assert.deepEqual(results, [
        { data: { systemAnnouncements: 'one' } },
        { data: { systemAnnouncements: 'two' } },
        { errors: [{ message: 'session ended', extensions: { code: 'UNAUTHENTICATED' } }] },
      ]);
      await sleep(300); // a reconnect would come at once: the client's retry wait is zero here
      assert.deepEqual(cores.requests.slice(requestsBefore), [], 'no request after the final end');
      client.dispose();
    });
  }

  it('single connection: unsubscribing sends DELETE ?operationId= and the operation leaves the stream', async () => {
    const client = createClient({ url, singleConnection: true, lazy: false, headers: { cookie: 'sid=single-2' }, onNonLazyError: () => {} });
    const results: ExecutionResult[] = [];
    const unsubscribe = client.subscribe({ query: 'subscription { systemAnnouncements }' }, { next: (v) => void results.push(v as ExecutionResult), error: () => {}, complete: () => {} });
    const operations = () => {
      const sink = [...cores.single.values()].find((s) => s.sessionId === 'single-2');
      const found = sink === undefined ? undefined : cores.reservations.find({ token: sink.token as string, from: 'header', cookieSessionId: 'single-2' });
      return found?.ok === true ? found.value.operations.size : 0;
    };
    await eventually('the operation runs', () => operations() === 1);
    await cores.publish('three');
    await eventually('one event', () => results.length === 1);
    unsubscribe();
    await eventually('the DELETE arrived', () => cores.requests.includes('DELETE stop') && operations() === 0);
    client.dispose();
  });

  it('a stream dropped and resumed with Last-Event-ID gets every event it missed, in order, then the live ones', { timeout: 20_000 }, async () => {
    const first = await readEvents(url, 2);
    await eventually('the stream is open', () => cores.distinct.size === 1);
    await cores.publish('r1');
    await cores.publish('r2');
    await first.done;
    first.drop();
    await eventually('the stream is closed', () => cores.distinct.size === 0);
    const lastSeen = first.events[1]?.id as string;
    const missed = [await cores.publish('r3'), await cores.publish('r4'), await cores.publish('r5')];
    const resumed = await readEvents(url, 4, { 'last-event-id': lastSeen });
    await eventually('the resumed stream is open', () => cores.distinct.size === 1);
    const live = await cores.publish('r6');
    await resumed.done;
    resumed.drop();
    assert.deepEqual(
      resumed.events.map((e) => [e.id, e.data.data?.['systemAnnouncements']]),
      [[missed[0], 'r3'], [missed[1], 'r4'], [missed[2], 'r5'], [live, 'r6']],
    );
  });

  it('resuming from further back than the window: EVENTS_MISSED first, then what the log still holds', { timeout: 20_000 }, async () => {
    const old = await cores.publish('w0');
    for (let i = 1; i <= 5; i++) await cores.publish(`w${i}`);
    const resumed = await readEvents(url, 6, { 'last-event-id': old });
    await resumed.done;
    resumed.drop();
    assert.equal(resumed.events[0]?.data.errors?.[0]?.extensions?.['code'], EVENTS_MISSED_CODE);
    assert.deepEqual(resumed.events.slice(1).map((e) => e.data.data?.['systemAnnouncements']), ['w1', 'w2', 'w3', 'w4', 'w5']);
  });

  it('over HTTP: a ticket in the URL is 400; a cookie reservation is 404 to another session and 409 for a second stream', async () => {
    const inUrl = await fetch(`${url}?query=%7Ba%7D&ticket=t1.a.b`, { headers: { accept: 'text/event-stream' } });
    assert.equal(inUrl.status, 400);
    const token = await (await fetch(url, { method: 'PUT', headers: { cookie: 'sid=owner' } })).text();
    const stranger = await fetch(`${url}?token=${token}`, { headers: { accept: 'text/event-stream', cookie: 'sid=stranger' } });
    assert.equal(stranger.status, 404);
    const controller = new AbortController();
    const owner = await fetch(`${url}?token=${token}`, { headers: { accept: 'text/event-stream', cookie: 'sid=owner' }, signal: controller.signal });
    assert.equal(owner.status, 200);
    const second = await fetch(url, { headers: { accept: 'text/event-stream', cookie: 'sid=owner', 'x-graphql-event-stream-token': token } });
    assert.equal(second.status, 409);
    controller.abort();
  });
});
