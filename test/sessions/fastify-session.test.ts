/**
 * fastifySessions against a real Fastify app with @fastify/cookie and
 * @fastify/session: the cookies are the ones @fastify/session set over HTTP.
 */
import assert from 'node:assert/strict';
import { Signer } from '@fastify/cookie';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import { randomBytes } from 'node:crypto';
import RedisStore from 'connect-redis';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { fastifySessions } from '../../src/sessions/fastify-session.js';
import { REDIS_URL, redisSkip } from '../helpers/backends.js';
import { after, before, describe, it } from '../helpers/suite.js';

declare module 'fastify' {
  interface Session {
    userId?: string;
    visits?: number;
  }
}

const SECRET = 'a-fastify-session-secret-of-32-chars-or-more';
const OLDER_SECRET = 'the-secret-before-the-last-rotation-000000';

async function startApp(store: fastifySession.SessionStore, options: { maxAge?: number; cookiePrefix?: string } = {}): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: [SECRET, OLDER_SECRET],
    store,
    saveUninitialized: false,
    cookie: { secure: false, ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }) },
    ...(options.cookiePrefix === undefined ? {} : { cookiePrefix: options.cookiePrefix }),
  });
  app.post<{ Params: { user: string } }>('/login/:user', async (request) => {
    request.session.set('userId', request.params.user);
    return { sid: request.session.sessionId };
  });
  app.post('/visit', async (request) => {
    request.session.set('visits', (request.session.get('visits') ?? 0) + 1);
    return { sid: request.session.sessionId };
  });
  app.post('/logout', async (request) => {
    await request.session.destroy();
    return { ok: true };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}

async function post(url: string, cookie?: string): Promise<{ cookie: string | undefined; sid: string | undefined }> {
  const response = await fetch(url, { method: 'POST', headers: cookie === undefined ? {} : { cookie } });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { sid?: string };
  return { cookie: response.headers.get('set-cookie')?.split(';')[0], sid: body.sid };
}

describe('fastifySessions with @fastify/session', () => {
  const store = new fastifySession.MemoryStore();
  let app: FastifyInstance;
  let url: string;
  const sessions = fastifySessions({ store, secret: SECRET, userId: (data) => data.userId as string | undefined, user: (data) => ({ id: data.userId }) });
  before(async () => {
    ({ app, url } = await startApp(store));
  });
  after(() => app.close());

  it('the signed cookie resolves to the live session; check says live', async () => {
    const login = await post(`${url}/login/alice`);
    assert.ok(login.cookie?.startsWith('sessionId='), login.cookie);
    const resolved = await sessions.fromCookie(`a=b; ${login.cookie}`);
    assert.ok(resolved);
    assert.equal(resolved.id, login.sid);
    assert.equal(resolved.userId, 'alice');
    assert.deepEqual(resolved.user, { id: 'alice' });
    assert.equal((await sessions.check(login.sid as string)).status, 'live');
  });

  it('forged, unsigned and wrongly signed cookies name no session', async () => {
    const login = await post(`${url}/login/bob`);
    const sid = login.sid as string;
    assert.ok(await sessions.fromCookie(login.cookie as string));
    assert.equal(await sessions.fromCookie(`sessionId=${encodeURIComponent(sid)}`), undefined);
    assert.equal(await sessions.fromCookie(`sessionId=${encodeURIComponent(new Signer('some-other-secret-0123456789').sign(sid))}`), undefined);
    const tampered = (login.cookie as string).replace(/.$/, (last) => (last === 'A' ? 'B' : 'A'));
    assert.equal(await sessions.fromCookie(tampered), undefined);
    assert.equal(await sessions.fromCookie('connect.sid=whatever'), undefined);
  });

  it('every secret of the list verifies (rotation); a custom signer works too', async () => {
    const login = await post(`${url}/login/carol`);
    const sid = login.sid as string;
    const older = `sessionId=${encodeURIComponent(new Signer(OLDER_SECRET).sign(sid))}`;
    // @fastify/session itself accepts it (same session, same data)…
    assert.equal((await post(`${url}/visit`, older)).sid, sid);
    // …an adapter with the same list does, one with only the first secret does not.
    const rotated = fastifySessions({ store, secret: [SECRET, OLDER_SECRET], userId: (data) => data.userId as string | undefined });
    assert.equal((await rotated.fromCookie(older))?.id, sid);
    assert.equal(await sessions.fromCookie(older), undefined);
    const custom = fastifySessions({ store, secret: new Signer([SECRET]), userId: (data) => data.userId as string | undefined });
    assert.equal((await custom.fromCookie(login.cookie as string))?.id, sid);
  });

  it("a visitor's session is no session; destroy (logout) ends it", async () => {
    const visit = await post(`${url}/visit`);
    assert.ok(visit.cookie);
    assert.equal(await sessions.fromCookie(visit.cookie), undefined);
    assert.equal((await sessions.check(visit.sid as string)).status, 'ended');

    const login = await post(`${url}/login/dave`);
    assert.equal((await sessions.check(login.sid as string)).status, 'live');
    await post(`${url}/logout`, login.cookie);
    assert.equal((await sessions.check(login.sid as string)).status, 'ended');
    assert.equal(await sessions.fromCookie(login.cookie as string), undefined);
  });

  it('the expiry is the cookie’s; past it the session is expired', async () => {
    const shortStore = new fastifySession.MemoryStore();
    const short = await startApp(shortStore, { maxAge: 60_000, cookiePrefix: 'p:' });
    try {
      let clock = Date.now();
      const prefixed = fastifySessions({ store: shortStore, secret: SECRET, cookiePrefix: 'p:', userId: (data) => data.userId as string | undefined, now: () => clock });
      const login = await post(`${short.url}/login/erin`);
      assert.ok(login.cookie?.startsWith('sessionId=p%3A'), login.cookie);
      const resolved = await prefixed.fromCookie(login.cookie as string);
      assert.ok(resolved);
      assert.ok(resolved.expiresAt > Date.now() + 50_000 && resolved.expiresAt <= Date.now() + 60_000, String(resolved.expiresAt));
      // Without the prefix configured, the cookie names nothing.
      const unprefixed = fastifySessions({ store: shortStore, secret: SECRET, userId: (data) => data.userId as string | undefined });
      assert.equal(await unprefixed.fromCookie(login.cookie as string), undefined);
      clock = resolved.expiresAt;
      assert.equal((await prefixed.check(resolved.id)).status, 'expired');
      assert.equal(await prefixed.fromCookie(login.cookie as string), undefined);
    } finally {
      await short.app.close();
    }
  });
});

const skip = await redisSkip();

describe('fastifySessions with @fastify/session on connect-redis (real Redis: the entry comes back as JSON)', { skip }, () => {
  const prefix = `tessera-test-fsess-${randomBytes(6).toString('hex')}:`;
  let client: Redis;
  let app: FastifyInstance;
  let url: string;
  let store: RedisStore;
  before(async () => {
    client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    store = new RedisStore({ client, prefix });
    ({ app, url } = await startApp(store as unknown as fastifySession.SessionStore, { maxAge: 60_000 }));
  });
  after(async () => {
    await app.close();
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it('resolves the session with its expiry from the stored cookie; logout ends it', async () => {
    const sessions = fastifySessions({ store: store as unknown as fastifySession.SessionStore, secret: SECRET, userId: (data) => data.userId as string | undefined });
    const login = await post(`${url}/login/alice`);
    const raw = await client.get(`${prefix}${login.sid}`);
    assert.ok(raw !== null && typeof (JSON.parse(raw) as { cookie: { expires: unknown } }).cookie.expires === 'string', 'stored as JSON');
    const resolved = await sessions.fromCookie(login.cookie as string);
    assert.ok(resolved);
    assert.equal(resolved.id, login.sid);
    assert.equal(resolved.userId, 'alice');
    assert.ok(resolved.expiresAt > Date.now() + 50_000 && resolved.expiresAt <= Date.now() + 60_000, String(resolved.expiresAt));
    await post(`${url}/logout`, login.cookie);
    assert.equal((await sessions.check(login.sid as string)).status, 'ended');
  });
});
