/** Single-connection reservations, pure with an injected clock: who may use a token, states, expiry, caps, revocation. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_RESERVATION_LIMITS, randomToken, ReservationRefusal, Reservations, type ReservationOwner } from '../../src/sse/reservations.js';

function setup(limits: Partial<typeof DEFAULT_RESERVATION_LIMITS> = {}) {
  let now = 1_000;
  let counter = 0;
  const reservations = new Reservations(limits, () => now, () => `tok-${++counter}`);
  return { reservations, advance: (ms: number) => (now += ms) };
}

const cookieOwner = (sessionId = 's1', userId = 'u1', address = '10.0.0.1'): ReservationOwner => ({ via: 'cookie', sessionId, userId, address });
const ticketOwner: ReservationOwner = { via: 'ticket', sessionId: 's2', userId: 'u2', address: '10.0.0.2' };
const anonymous: ReservationOwner = { via: 'anonymous', sessionId: undefined, userId: undefined, address: '10.0.0.3' };

const reserve = (reservations: Reservations, owner: ReservationOwner): string => {
  const outcome = reservations.reserve(owner);
  assert.ok(outcome.ok, JSON.stringify(outcome));
  return outcome.value.token;
};

test('the documented defaults are the socket defaults', () => {
  assert.deepEqual(DEFAULT_RESERVATION_LIMITS, { ttlMs: 10_000, maxPerUser: 20, maxPerAddress: 1_000, maxOperations: 100 });
  assert.match(randomToken(), /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(randomToken(), randomToken());
});

test('reserved → streaming once; a second stream on the same reservation is 409', () => {
  const { reservations } = setup();
  const token = reserve(reservations, cookieOwner());
  const request = { token, from: 'header' as const, cookieSessionId: 's1' };
  const attached = reservations.attach(request);
  assert.ok(attached.ok);
  assert.equal(attached.value.state, 'streaming');
  assert.equal(attached.value.expiresAt, Infinity);
  assert.deepEqual(reservations.attach(request), { ok: false, status: 409, message: ReservationRefusal.alreadyOpen });
});

test('a cookie reservation answers only to the same session cookie, from the header or the URL; anything else is the same 404', () => {
  const { reservations } = setup();
  const token = reserve(reservations, cookieOwner());
  const notFound = { ok: false, status: 404, message: ReservationRefusal.notFound };
  assert.deepEqual(reservations.find({ token, from: 'url', cookieSessionId: undefined }), notFound, 'the token alone opens nothing');
  assert.deepEqual(reservations.find({ token, from: 'header', cookieSessionId: 'other' }), notFound);
  assert.deepEqual(reservations.find({ token: 'tok-unknown', from: 'header', cookieSessionId: 's1' }), notFound);
  assert.ok(reservations.find({ token, from: 'url', cookieSessionId: 's1' }).ok, 'EventSource sends ?token= with the cookie');
});

test('a ticket reservation: the token identifies the client, so it is refused from the URL', () => {
  const { reservations } = setup();
  const token = reserve(reservations, ticketOwner);
  assert.deepEqual(reservations.attach({ token, from: 'url', cookieSessionId: undefined }), { ok: false, status: 400, message: ReservationRefusal.tokenInUrl });
  assert.ok(reservations.attach({ token, from: 'header', cookieSessionId: undefined }).ok);
  assert.match(ReservationRefusal.tokenInUrl, /X-GraphQL-Event-Stream-Token header/);
});

test('an anonymous reservation answers to any request', () => {
  const { reservations } = setup();
  const token = reserve(reservations, anonymous);
  assert.ok(reservations.attach({ token, from: 'url', cookieSessionId: 'whoever' }).ok);
});

test('operations: added before or after the stream opens, 409 for a running id, 429 past the cap, DELETE 200 even for an unknown id', () => {
  const { reservations } = setup({ maxOperations: 2 });
  const token = reserve(reservations, cookieOwner());
  const request = { token, from: 'header' as const, cookieSessionId: 's1' };
  assert.ok(reservations.addOperation(request, 'a').ok, 'PROTOCOL.md lets an operation come before the stream');
  assert.ok(reservations.attach(request).ok);
  assert.deepEqual(reservations.addOperation(request, 'a'), { ok: false, status: 409, message: ReservationRefusal.operationExists });
  assert.ok(reservations.addOperation(request, 'b').ok);
  assert.deepEqual(reservations.addOperation(request, 'c'), { ok: false, status: 429, message: ReservationRefusal.tooManyOperations });
  assert.deepEqual(reservations.stopOperation(request, 'a'), { ok: true, value: true });
  assert.deepEqual(reservations.stopOperation(request, 'a'), { ok: true, value: false });
  assert.ok(reservations.addOperation(request, 'c').ok, 'a stopped operation frees its place');
  assert.equal(reservations.completeOperation(token, 'b'), true);
  const found = reservations.find(request);
  assert.deepEqual(found.ok && [...found.value.operations], ['c']);
  assert.deepEqual(reservations.stopOperation({ ...request, cookieSessionId: 'other' }, 'c'), { ok: false, status: 404, message: ReservationRefusal.notFound });
});

test('an unopened reservation expires after the TTL (dropped with its operations); an open one does not', () => {
  const { reservations, advance } = setup({ ttlMs: 1_000 });
  const waiting = reserve(reservations, cookieOwner('s1'));
  advance(500);
  const opened = reserve(reservations, cookieOwner('s2', 'u2'));
  assert.ok(reservations.attach({ token: opened, from: 'header', cookieSessionId: 's2' }).ok);
  assert.ok(reservations.addOperation({ token: waiting, from: 'header', cookieSessionId: 's1' }, 'op').ok);
  assert.equal(reservations.nextExpiry(), 2_000);
  advance(499);
  assert.deepEqual(reservations.expire(), []);
  advance(1);
  const expired = reservations.expire();
  assert.deepEqual(expired.map((r) => [r.token, [...r.operations]]), [[waiting, ['op']]]);
  assert.equal(reservations.nextExpiry(), undefined);
  assert.equal(reservations.size, 1);
  advance(1_000_000);
  assert.ok(reservations.find({ token: opened, from: 'header', cookieSessionId: 's2' }).ok);
});

test('an expired reservation is a 404 even before expire() runs, and expire() still hands it over with its operations', () => {
  const { reservations, advance } = setup({ ttlMs: 1_000 });
  const token = reserve(reservations, cookieOwner());
  const request = { token, from: 'header' as const, cookieSessionId: 's1' };
  assert.ok(reservations.addOperation(request, 'op').ok);
  advance(1_000);
  assert.deepEqual(reservations.attach(request), { ok: false, status: 404, message: ReservationRefusal.notFound });
  assert.deepEqual(reservations.addOperation(request, 'op2'), { ok: false, status: 404, message: ReservationRefusal.notFound });
  assert.deepEqual(reservations.expire().map((r) => [r.token, [...r.operations]]), [[token, ['op']]]);
  assert.equal(reservations.size, 0);
});

test('caps per user and per address count reserved and streaming ones; a released one frees its place', () => {
  const { reservations } = setup({ maxPerUser: 2, maxPerAddress: 3 });
  const first = reserve(reservations, cookieOwner('s1', 'u1', 'a'));
  assert.ok(reservations.attach({ token: first, from: 'header', cookieSessionId: 's1' }).ok);
  reserve(reservations, cookieOwner('s1b', 'u1', 'a'));
  assert.deepEqual(reservations.reserve(cookieOwner('s1c', 'u1', 'b')), { ok: false, status: 429, message: ReservationRefusal.tooManyForUser });
  reserve(reservations, { ...anonymous, address: 'a' });
  assert.deepEqual(reservations.reserve({ ...anonymous, address: 'a' }), { ok: false, status: 429, message: ReservationRefusal.tooManyForAddress });
  assert.ok(reservations.reserve({ ...anonymous, address: 'b' }).ok, 'another address has its own count');
  assert.equal(reservations.release(first)?.token, first);
  assert.ok(reservations.reserve(cookieOwner('s1c', 'u1', 'c')).ok);
});

test('revocation: a session, or a user, gives back all its reservations (for their final events) and frees them', () => {
  const { reservations } = setup();
  const a = reserve(reservations, cookieOwner('s1', 'u1'));
  const b = reserve(reservations, cookieOwner('s1', 'u1'));
  const c = reserve(reservations, cookieOwner('s2', 'u1'));
  const d = reserve(reservations, cookieOwner('s3', 'u3'));
  assert.deepEqual(reservations.releaseSession('s1').map((r) => r.token).sort(), [a, b].sort());
  assert.deepEqual(reservations.releaseSession('s1'), []);
  assert.deepEqual(reservations.releaseUser('u1').map((r) => r.token), [c]);
  assert.equal(reservations.size, 1);
  assert.ok(reservations.find({ token: d, from: 'header', cookieSessionId: 's3' }).ok);
  assert.deepEqual(reservations.find({ token: a, from: 'header', cookieSessionId: 's1' }).ok, false);
});

test('a token collision is drawn again', () => {
  const tokens = ['same', 'same', 'other'];
  const reservations = new Reservations({}, () => 0, () => tokens.shift() as string);
  assert.equal(reserve(reservations, anonymous), 'same');
  assert.equal(reserve(reservations, anonymous), 'other');
});
