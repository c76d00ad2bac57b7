/**
 * connectSessions against a real Express app with express-session: its
 * MemoryStore, and connect-redis on the real Redis. The cookies are the ones
 * express-session set over HTTP; the adapter must read exactly those.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import RedisStore from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';
import signature from 'cookie-signature';
import { connectSessions } from '../../src/sessions/connect-store.js';
import type { SessionSource } from '../../src/sessions/session-source.js';
import { REDIS_URL, redisSkip } from '../helpers/backends.js';
import { after, before, describe, it } from '../helpers/suite.js';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    name?: string;
  }
}

const SECRET = 'express-session-test-secret-0123456789';
const OLDER_SECRET = 'an-older-secret-still-accepted-0123';

interface App {
  readonly url: string;
  readonly server: Server;
}

/** An Express app whose /login puts `userId` in the session and whose /logout destroys it. */
async function startApp(store: session.Store, maxAgeMs?: number): Promise<App> {
  const app = express();
  app.use(
    session({
      store,
      secret: [SECRET, OLDER_SECRET],
      resave: false,
      saveUninitialized: false,
      cookie: maxAgeMs === undefined ? {} : { maxAge: maxAgeMs },
    }),
  );
  app.post('/login/:user', (req, res) => {
    req.session.userId = req.params.user;
    req.session.name = `Name of ${req.params.user}`;
    res.json({ sid: req.sessionID });
  });
  app.post('/visit', (req, res) => {
    req.session.name = 'a visitor';
    res.json({ sid: req.sessionID });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((error) => (error ? next(error) : res.json({ ok: true })));
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** POSTs and returns the response's session cookie as a Cookie header (`connect.sid=…`) and the body. */
async function post(app: App, path: string, cookie?: string): Promise<{ cookie: string | undefined; body: { sid?: string } }> {
  const response = await fetch(app.url + path, { method: 'POST', headers: cookie === undefined ? {} : { cookie } });
  assert.equal(response.status, 200);
  const setCookie = response.headers.get('set-cookie');
  return { cookie: setCookie?.split(';')[0], body: (await response.json()) as { sid?: string } };
}

function closeApp(app: App): Promise<void> {
  return new Promise((resolve) => app.server.close(() => resolve()));
}

/** The flow every store must pass. */
function sharedFlow(name: string, makeStore: () => session.Store) {
  let app: App;
  let store: session.Store;
  let sessions: SessionSource<{ name: string | undefined }>;
  before(async () => {
    store = makeStore();
    app = await startApp(store);
    sessions = connectSessions({ store, secret: SECRET, userId: (data) => data.userId, user: (data) => ({ name: data.name }) });
  });
  after(() => closeApp(app));

  it(`${name}: the signed cookie resolves to the live session, with its user`, async () => {
    const login = await post(app, '/login/alice');
    assert.ok(login.cookie?.startsWith('connect.sid=s%3A'), login.cookie);
    const resolved = await sessions.fromCookie(`other=1; ${login.cookie}`);
    assert.ok(resolved);
    assert.equal(resolved.id, login.body.sid);
    assert.equal(resolved.userId, 'alice');
    assert.deepEqual(resolved.user, { name: 'Name of alice' });
    assert.equal(resolved.expiresAt, Number.POSITIVE_INFINITY); // a browser-session cookie
    const checked = await sessions.check(login.body.sid as string);
    assert.equal(checked.status, 'live');
  });

  it(`${name}: forged, unsigned and wrongly signed cookies name no session`, async () => {
    const login = await post(app, '/login/bob');
    const sid = login.body.sid as string;
    assert.ok(await sessions.fromCookie(login.cookie as string));
    assert.equal(await sessions.fromCookie(`connect.sid=${encodeURIComponent(sid)}`), undefined);
    assert.equal(await sessions.fromCookie(`connect.sid=${encodeURIComponent(`s:${sid}`)}`), undefined);
    assert.equal(await sessions.fromCookie(`connect.sid=${encodeURIComponent(`s:${signature.sign(sid, 'not-the-secret')}`)}`), undefined);
    const tampered = (login.cookie as string).replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    assert.equal(await sessions.fromCookie(tampered), undefined);
    assert.equal(await sessions.fromCookie('unrelated=1'), undefined);
    assert.equal(await sessions.fromCookie(''), undefined);
  });

  it(`${name}: every secret of the list verifies (rotation), none other`, async () => {
    const login = await post(app, '/login/carol');
    const sid = login.body.sid as string;
    const older = `connect.sid=${encodeURIComponent(`s:${signature.sign(sid, OLDER_SECRET)}`)}`;
    // The app itself accepts a cookie signed with its second secret (express-session verifies with each)…
    const again = await fetch(`${app.url}/visit`, { method: 'POST', headers: { cookie: older } });
    assert.equal(((await again.json()) as { sid: string }).sid, sid);
    // …an adapter given the same list does too, one given only the first does not.
    const rotated = connectSessions({ store, secret: [SECRET, OLDER_SECRET], userId: (data: session.SessionData) => data.userId });
    assert.equal((await rotated.fromCookie(older))?.id, sid);
    assert.equal(await sessions.fromCookie(older), undefined);
  });

  it(`${name}: a visitor's session (nobody signed in) is no session; logout ends it`, async () => {
    const visit = await post(app, '/visit');
    assert.equal(await sessions.fromCookie(visit.cookie as string), undefined);
    assert.equal((await sessions.check(visit.body.sid as string)).status, 'ended');

    const login = await post(app, '/login/dave');
    const sid = login.body.sid as string;
    assert.equal((await sessions.check(sid)).status, 'live');
    await post(app, '/logout', login.cookie);
    assert.equal((await sessions.check(sid)).status, 'ended');
    assert.equal(await sessions.fromCookie(login.cookie as string), undefined);
    assert.equal((await sessions.check('no-such-session')).status, 'ended');
  });
}

describe('connectSessions with express-session MemoryStore', () => {
  sharedFlow('MemoryStore', () => new session.MemoryStore());

  it('the expiry comes from cookie.expires, and an expired entry is expired', async () => {
    const store = new session.MemoryStore();
    const app = await startApp(store, 60_000);
    try {
      let clock = Date.now();
      const sessions = connectSessions({ store, secret: SECRET, userId: (data: session.SessionData) => data.userId, now: () => clock });
      const login = await post(app, '/login/erin');
      const resolved = await sessions.fromCookie(login.cookie as string);
      assert.ok(resolved);
      assert.ok(resolved.expiresAt > Date.now() + 50_000 && resolved.expiresAt <= Date.now() + 60_000, String(resolved.expiresAt));
      clock = resolved.expiresAt; // MemoryStore still returns it (its own clock is the real one): the adapter's says expired
      assert.equal((await sessions.check(resolved.id)).status, 'expired');
      assert.equal(await sessions.fromCookie(login.cookie as string), undefined);
    } finally {
      await closeApp(app);
    }
  });

  it('rejects a missing secret', () => {
    assert.throws(() => connectSessions({ store: new session.MemoryStore(), secret: [], userId: () => 'x' }), TypeError);
    assert.throws(() => connectSessions({ store: new session.MemoryStore(), secret: '', userId: () => 'x' }), TypeError);
  });

  it('a store error rejects check (the gateway retries) rather than ending the session', async () => {
    const broken = { get: (_sid: string, callback: (error: unknown) => void) => callback(new Error('store down')) };
    const sessions = connectSessions({ store: broken, secret: SECRET, userId: () => 'x' });
    await assert.rejects(sessions.check('abc'), /store down/);
  });
});

const skip = await redisSkip();

describe('connectSessions with connect-redis (real Redis)', { skip }, () => {
  const prefix = `tessera-test-sess-${randomBytes(6).toString('hex')}:`;
  let client: Redis;
  before(() => {
    client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  sharedFlow('connect-redis', () => new RedisStore({ client, prefix }));

  it('an entry Redis still holds past its cookie.expires is expired (disableTTL)', async () => {
    const store = new RedisStore({ client, prefix, disableTTL: true });
    const app = await startApp(store, 1_000);
    try {
      const sessions = connectSessions({ store, secret: SECRET, userId: (data: session.SessionData) => data.userId });
      const login = await post(app, '/login/frank');
      const resolved = await sessions.fromCookie(login.cookie as string);
      assert.ok(resolved);
      assert.ok(Number.isFinite(resolved.expiresAt));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, resolved.expiresAt - Date.now()) + 50));
      assert.ok(await client.exists(`${prefix}${resolved.id}`), 'Redis still holds the entry');
      assert.equal((await sessions.check(resolved.id)).status, 'expired');
      assert.equal(await sessions.fromCookie(login.cookie as string), undefined);
    } finally {
      await closeApp(app);
    }
  });
});
