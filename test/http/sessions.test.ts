/**
 * The session cookie and the session's life: cookie attributes (plain and
 * COOKIE_SECURE), a new session at every sign-in (no fixation), sliding idle
 * expiry, absolute expiry, and the purge of expired rows.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { setTimeout as sleep } from 'node:timers/promises';
import { backends } from '../helpers/backends.js';
import { HttpClient, sessionSetCookies, setCookiesNamed, uniqueEmail } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const ME = '{ accountsMe { user { id } } }';
const SESSION_ID = '{ accountsSessions { id current } }';

/** The attributes of one Set-Cookie line, lower-cased names; the cookie itself under `name` and `value`. */
function parseSetCookie(line: string): { name: string; value: string; attributes: Map<string, string> } {
  const [pair = '', ...rest] = line.split(';').map((part) => part.trim());
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const at = part.indexOf('=');
    attributes.set((at === -1 ? part : part.slice(0, at)).toLowerCase(), at === -1 ? '' : part.slice(at + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}

async function currentSessionId(client: HttpClient): Promise<string | undefined> {
  const result = await client.gql(SESSION_ID);
  return (result.body.data?.accountsSessions as { id: string; current: boolean }[] | undefined)?.find((s) => s.current)?.id;
}

const signedIn = async (client: HttpClient) => (await client.gql(ME)).body.data?.accountsMe !== null;

for (const { backend, skip } of await backends()) {
  describe(`session cookie (${backend.name})`, { skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ SESSION_ABSOLUTE_TTL_SECONDS: '3600' }, backend);
    });
    after(() => server?.close());

    it('is HttpOnly, SameSite=Lax, Path=/, not Secure, named tessera_session, with 256 random bits', async () => {
      const client = new HttpClient(server.url);
      const email = uniqueEmail();
      const result = await client.gql('mutation ($e: String!) { accountsRegister(email: $e, password: "correct horse battery") { id } }', { e: email });
      assert.equal(sessionSetCookies(result).length, 1);
      const cookie = parseSetCookie(sessionSetCookies(result)[0] as string);
      assert.equal(cookie.name, 'tessera_session');
      assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(cookie.value, 'base64url').length, 32);
      assert.ok(cookie.attributes.has('httponly'));
      assert.equal(cookie.attributes.get('samesite')?.toLowerCase(), 'lax');
      assert.equal(cookie.attributes.get('path'), '/');
      assert.equal(cookie.attributes.has('secure'), false);
      assert.equal(cookie.attributes.has('domain'), false);
      assert.equal(cookie.attributes.get('max-age'), '3600', 'the cookie lives no longer than the absolute TTL');
    });

    it('register and login also set the device cookie: tessera_device, HttpOnly, SameSite=Strict, Path=/, 180 days, kept at logout', async () => {
      const client = new HttpClient(server.url);
      const email = uniqueEmail();
      const registered = await client.gql('mutation ($e: String!) { accountsRegister(email: $e, password: "correct horse battery") { id } }', { e: email });
      const login = await client.login(email, 'correct horse battery');
      for (const result of [registered, login]) {
        const lines = setCookiesNamed(result, 'tessera_device');
        assert.equal(lines.length, 1);
        const cookie = parseSetCookie(lines[0] as string);
        assert.match(cookie.value, /^v1\.[A-Za-z0-9_-]{22}\.[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
        assert.ok(!cookie.value.includes(email) && !cookie.value.includes(encodeURIComponent(email)), 'the email is not in the cookie');
        assert.ok(cookie.attributes.has('httponly'));
        assert.equal(cookie.attributes.get('samesite')?.toLowerCase(), 'strict');
        assert.equal(cookie.attributes.get('path'), '/');
        assert.equal(cookie.attributes.has('secure'), false);
        assert.equal(cookie.attributes.has('domain'), false);
        assert.equal(cookie.attributes.get('max-age'), String(180 * 86_400));
      }
      assert.notEqual(
        parseSetCookie(setCookiesNamed(registered, 'tessera_device')[0] as string).value,
        parseSetCookie(setCookiesNamed(login, 'tessera_device')[0] as string).value,
        'a fresh device id at every sign-in',
      );
      const logout = await client.gql('mutation { accountsLogout }');
      assert.equal(setCookiesNamed(logout, 'tessera_device').length, 0);
      assert.ok(client.cookies.has('tessera_device'));
      const refused = await new HttpClient(server.url).login(email, 'not the password');
      assert.equal(setCookiesNamed(refused, 'tessera_device').length, 0, 'no device cookie for a failed sign-in');
    });

    it('login gives a new session id every time; the old cookie stays valid only as its own session', async () => {
      const client = new HttpClient(server.url);
      const { email, password } = await client.register();
      const firstCookie = client.cookieHeader as string;
      const firstId = await currentSessionId(client);
      const login = await client.login(email, password);
      assert.equal(sessionSetCookies(login).length, 1);
      const secondCookie = client.cookieHeader as string;
      assert.notEqual(secondCookie, firstCookie);
      const secondId = await currentSessionId(client);
      assert.ok(firstId !== undefined && secondId !== undefined);
      assert.notEqual(secondId, firstId);
      const old = new HttpClient(server.url);
      const oldId = (await old.gql(SESSION_ID, undefined, { cookie: firstCookie })).body.data.accountsSessions.find((s: any) => s.current).id;
      assert.equal(oldId, firstId, 'the old cookie names its own session, not the new one');
    });

    it('a cookie planted before login is not reused: login sets a different one, and the planted one signs in nobody', async () => {
      const { email, password } = await new HttpClient(server.url).register();
      const victim = new HttpClient(server.url);
      const planted = randomBytes(32).toString('base64url');
      victim.cookies.set('tessera_session', planted);
      const login = await victim.login(email, password);
      assert.equal(login.body.errors, undefined);
      const cookie = parseSetCookie(sessionSetCookies(login)[0] as string);
      assert.equal(cookie.name, 'tessera_session');
      assert.notEqual(cookie.value, planted);
      const attacker = new HttpClient(server.url);
      attacker.cookies.set('tessera_session', planted);
      assert.equal(await signedIn(attacker), false);
      assert.equal(await signedIn(victim), true);
    });

    it('a malformed or unknown cookie is simply not signed in', async () => {
      for (const value of ['x', 'a'.repeat(43), randomBytes(32).toString('base64url'), '%00%ff', 'a'.repeat(5000)]) {
        const client = new HttpClient(server.url);
        client.cookies.set('tessera_session', value);
        const result = await client.gql(ME);
        assert.equal(result.status, 200);
        assert.deepEqual(result.body, { data: { accountsMe: null } }, value.slice(0, 20));
      }
    });
  });

  describe(`session cookie with COOKIE_SECURE=true (${backend.name})`, { skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ COOKIE_SECURE: 'true' }, backend);
    });
    after(() => server?.close());

    it('is Secure and named with the __Host- prefix (Path=/, no Domain), and that is the cookie read back', async () => {
      const client = new HttpClient(server.url);
      const { email, password } = await client.register();
      const login = await client.login(email, password);
      const cookie = parseSetCookie(sessionSetCookies(login)[0] as string);
      assert.equal(cookie.name, '__Host-tessera_session');
      assert.ok(cookie.attributes.has('secure'));
      assert.ok(cookie.attributes.has('httponly'));
      assert.equal(cookie.attributes.get('samesite')?.toLowerCase(), 'lax');
      assert.equal(cookie.attributes.get('path'), '/');
      assert.equal(cookie.attributes.has('domain'), false);
      assert.equal(await signedIn(client), true);
      const plain = new HttpClient(server.url);
      plain.cookies.set('tessera_session', cookie.value);
      assert.equal(await signedIn(plain), false, 'the unprefixed name is not accepted when cookies are secure');
      const logout = await client.gql('mutation { accountsLogout }');
      assert.equal(logout.setCookies.length, 1, 'logout clears the session cookie only; the device cookie stays');
      const cleared = parseSetCookie(logout.setCookies[0] as string);
      assert.equal(cleared.name, '__Host-tessera_session');
      assert.ok(cleared.attributes.has('secure'));
      assert.equal(cleared.attributes.get('max-age'), '0');
      const device = parseSetCookie(setCookiesNamed(login, '__Host-tessera_device')[0] as string);
      assert.ok(device.attributes.has('secure'));
      assert.ok(device.attributes.has('httponly'));
      assert.equal(device.attributes.get('samesite')?.toLowerCase(), 'strict');
      assert.equal(device.attributes.get('path'), '/');
    });
  });

  describe(`session expiry (${backend.name})`, { skip, concurrency: true }, () => {
    it('a session unused for SESSION_IDLE_TTL_SECONDS expires, and using it slides the idle expiry', async () => {
      const server = await startServer({ SESSION_IDLE_TTL_SECONDS: '1', SESSION_ABSOLUTE_TTL_SECONDS: '60' }, backend);
      try {
        const used = new HttpClient(server.url);
        const { email, password } = await used.register();
        const idle = new HttpClient(server.url);
        await idle.login(email, password);
        // Used every 300 ms for 1.8 s: well past the 1 s idle TTL in total, never idle for it.
        for (let i = 0; i < 6; i++) {
          await sleep(300);
          assert.equal(await signedIn(used), true, `still signed in after ${(i + 1) * 300} ms of regular use`);
        }
        assert.equal(await signedIn(idle), false, 'the session left idle expired');
        const listed = (await used.gql(SESSION_ID)).body.data.accountsSessions as { current: boolean }[];
        assert.deepEqual(listed.map((s) => s.current), [true], 'accountsSessions no longer lists the expired session');
        await sleep(1300);
        assert.equal(await signedIn(used), false, 'after an idle pause the used session expired too');
      } finally {
        await server.close();
      }
    });

    it('a session expires at SESSION_ABSOLUTE_TTL_SECONDS however much it is used, and its row is purged', async () => {
      const server = await startServer({ SESSION_IDLE_TTL_SECONDS: '1', SESSION_ABSOLUTE_TTL_SECONDS: '2' }, backend);
      try {
        const client = new HttpClient(server.url);
        const { id } = await client.register();
        const started = Date.now();
        // Used every 250 ms: the idle expiry keeps sliding, past the 1 s idle TTL...
        while (Date.now() - started < 1200) {
          assert.equal(await signedIn(client), true);
          await sleep(250);
        }
        // ...and on past the absolute expiry, which the use must not extend.
        while (Date.now() - started < 2300) {
          await signedIn(client);
          await sleep(250);
        }
        assert.equal(await signedIn(client), false, 'signed out at the absolute expiry');
        await server.tessera.services.sessions.purgeExpired();
        const rows = await server.tessera.store.db.selectFrom('sessions').select('id').where('user_id', '=', id).execute();
        assert.deepEqual(rows, []);
      } finally {
        await server.close();
      }
    });

    it('expired rows are purged by the server on its own', async () => {
      const server = await startServer({ SESSION_IDLE_TTL_SECONDS: '1', SESSION_ABSOLUTE_TTL_SECONDS: '60' }, backend);
      try {
        const client = new HttpClient(server.url);
        const { id } = await client.register();
        const rows = () => server.tessera.store.db.selectFrom('sessions').select('id').where('user_id', '=', id).execute();
        assert.equal((await rows()).length, 1);
        const deadline = Date.now() + 4000;
        while ((await rows()).length > 0 && Date.now() < deadline) await sleep(200);
        assert.deepEqual(await rows(), [], 'the expired row is gone within a few seconds without any request');
      } finally {
        await server.close();
      }
    });
  });
}
