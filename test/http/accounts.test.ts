/**
 * The account queries and mutations over HTTP, against a real server on each
 * store: register, login, me, sessions, logout, logout everywhere, change
 * password, unique emails, no enumeration, and admin-only announcements.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { grantAdmin, revokeAdmin } from '../helpers/admin.js';
import { backends } from '../helpers/backends.js';
import { HttpClient, sessionSetCookies, uniqueEmail } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const ADMIN = 'Admin.Person@Example.test';

const REGISTER = `mutation ($email: String!, $password: String!, $name: String) {
  accountsRegister(email: $email, password: $password, name: $name) { id email name createdAt }
}`;
const LOGIN = 'mutation ($email: String!, $password: String!) { accountsLogin(email: $email, password: $password) { id email } }';
const ME = '{ accountsMe { user { id email name } token } }';
const SESSIONS = '{ accountsSessions { id createdAt lastSeenAt expiresAt userAgent current } }';
const CHANGE = 'mutation ($c: String!, $n: String!) { accountsChangePassword(currentPassword: $c, newPassword: $n) }';

const codeOf = (body: { errors?: { extensions?: Record<string, any> }[] }) => body.errors?.[0]?.extensions?.['code'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

for (const { backend, skip } of await backends()) {
  describe(`accounts over HTTP (${backend.name})`, { skip }, () => {
    let server: TestServer;
    const client = () => new HttpClient(server.url);
    const userRows = (email: string) =>
      server.tessera.store.db.selectFrom('users').selectAll().where('email_normalized', '=', email.toLowerCase()).execute();
    const sessionRows = (userId: string) =>
      server.tessera.store.db.selectFrom('sessions').selectAll().where('user_id', '=', userId).execute();

    before(async () => {
      server = await startServer({}, backend);
    });
    after(() => server?.close());

    it('accountsRegister creates the user, stores only a password hash, and signs in', async () => {
      const c = client();
      const email = uniqueEmail();
      const result = await c.gql(REGISTER, { email, password: 'correct horse battery', name: '  Ada  ' });
      assert.equal(result.status, 200);
      assert.equal(result.body.errors, undefined);
      const user = result.body.data.accountsRegister;
      assert.equal(user.email, email);
      assert.equal(user.name, 'Ada');
      assert.ok(!Number.isNaN(Date.parse(user.createdAt)));
      const [row] = await userRows(email);
      assert.ok(row);
      assert.equal(row.id, user.id);
      // Argon2id at OWASP's minimum: 19 MiB, 2 iterations, 1 lane.
      assert.match(row.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.ok(!row.password_hash.includes('correct horse battery'));
      const me = await c.gql(ME);
      assert.equal(me.body.data.accountsMe.user.id, user.id);
      assert.equal(typeof me.body.data.accountsMe.token, 'string');
      const sessions = await sessionRows(user.id);
      assert.equal(sessions.length, 1);
      const cookie = c.cookies.get('tessera_session') as string;
      assert.equal(sessions[0]?.token_hash, createHash('sha256').update(cookie).digest('hex'), 'only the SHA-256 of the cookie secret is stored');
      assert.equal(JSON.stringify(sessions).includes(cookie), false, 'the cookie secret itself is never stored');
    });

    it('accountsMe is null without a session, and accountsSessions is UNAUTHENTICATED', async () => {
      const c = client();
      const me = await c.gql(ME);
      assert.equal(me.status, 200);
      assert.deepEqual(me.body, { data: { accountsMe: null } });
      const sessions = await c.gql(SESSIONS);
      assert.equal(codeOf(sessions.body), 'UNAUTHENTICATED');
    });

    it('accountsMe gives the user and a fresh socket ticket on every call', async () => {
      const c = client();
      const { id, email } = await c.register();
      const first = await c.gql(ME);
      const second = await c.gql(ME);
      assert.deepEqual(first.body.data.accountsMe.user, { id, email, name: null });
      assert.match(first.body.data.accountsMe.token, /^t1\./);
      assert.notEqual(first.body.data.accountsMe.token, second.body.data.accountsMe.token);
    });

    it('accountsLogin signs in with the right password, whatever the letter case of the email', async () => {
      const { email, password, id } = await client().register();
      const c = client();
      const result = await c.login(email.toUpperCase(), password);
      assert.equal(result.body.errors, undefined);
      assert.equal(result.body.data.accountsLogin.id, id);
      assert.equal(sessionSetCookies(result).length, 1);
      assert.equal((await c.gql(ME)).body.data.accountsMe.user.id, id);
    });

    it('an email is unique regardless of case: a second account is EMAIL_TAKEN and not stored', async () => {
      const email = uniqueEmail();
      await client().register(email);
      const c = client();
      const again = await c.gql(REGISTER, { email: `  ${email.toUpperCase()} `, password: 'another password' });
      assert.equal(codeOf(again.body), 'EMAIL_TAKEN');
      assert.equal(again.setCookies.length, 0, 'no session for a refused registration');
      assert.equal((await userRows(email)).length, 1);
    });

    it('of concurrent registrations of one email (in different cases) exactly one succeeds', async () => {
      const email = uniqueEmail();
      const variants = [email, email.toUpperCase(), email.replace(/^u/, 'U'), email.replace(/test$/, 'TEST')];
      const results = await Promise.all(variants.map((variant) => client().gql(REGISTER, { email: variant, password: 'correct horse battery' })));
      const codes = results.map((r) => (r.body.errors === undefined ? 'OK' : codeOf(r.body)));
      assert.deepEqual(codes.filter((code) => code === 'OK').length, 1, codes.join());
      assert.deepEqual(codes.filter((code) => code === 'EMAIL_TAKEN').length, variants.length - 1, codes.join());
      assert.equal((await userRows(email)).length, 1);
    });

    it('unknown email and wrong password give the same INVALID_CREDENTIALS error and set no cookie', async () => {
      const { email } = await client().register();
      const unknown = await client().login(uniqueEmail(), 'correct horse battery');
      const wrong = await client().login(email, 'wrong horse battery');
      assert.equal(codeOf(unknown.body), 'INVALID_CREDENTIALS');
      assert.deepEqual(unknown.body, wrong.body);
      assert.equal(unknown.status, wrong.status);
      assert.deepEqual([unknown.setCookies, wrong.setCookies], [[], []]);
    });

    it('unknown email and wrong password take comparable time (medians within a factor of 3)', async () => {
      const { email } = await client().register();
      const time = async (login: () => Promise<unknown>) => {
        const started = performance.now();
        await login();
        return performance.now() - started;
      };
      const unknown: number[] = [];
      const wrong: number[] = [];
      for (let i = 0; i < 7; i++) {
        unknown.push(await time(() => client().login(uniqueEmail(), 'some password here')));
        wrong.push(await time(() => client().login(email, 'some password here')));
      }
      const [a, b] = [median(unknown), median(wrong)];
      assert.ok(Math.max(a, b) / Math.min(a, b) < 3, `unknown email ${a.toFixed(1)} ms, wrong password ${b.toFixed(1)} ms`);
    });

    it('accountsSessions lists the live sessions with user agent and the current one marked', async () => {
      const phone = new HttpClient(server.url);
      const { email, password, id } = await phone.register(uniqueEmail(), 'correct horse battery');
      const laptop = client();
      await laptop.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Laptop/1.0' },
        body: JSON.stringify({ query: LOGIN, variables: { email, password } }),
      });
      const result = await laptop.gql(SESSIONS);
      const sessions = result.body.data.accountsSessions as any[];
      assert.equal(sessions.length, 2);
      const current = sessions.filter((s) => s.current);
      assert.equal(current.length, 1);
      assert.equal(current[0].userAgent, 'Laptop/1.0');
      for (const s of sessions) {
        assert.ok(Date.parse(s.createdAt) <= Date.parse(s.lastSeenAt));
        assert.ok(Date.parse(s.expiresAt) > Date.now());
      }
      const rows = await sessionRows(id);
      assert.deepEqual(new Set(rows.map((r) => r.id)), new Set(sessions.map((s) => s.id)));
    });

    it('accountsLogout deletes the session row, clears the cookie, and the old cookie no longer works', async () => {
      const c = client();
      const { id } = await c.register();
      const stolen = c.cookieHeader as string;
      assert.equal((await sessionRows(id)).length, 1);
      const result = await c.gql('mutation { accountsLogout }');
      assert.deepEqual(result.body, { data: { accountsLogout: true } });
      assert.equal(result.setCookies.length, 1);
      assert.match(result.setCookies[0] as string, /^tessera_session=;/);
      assert.match(result.setCookies[0] as string, /Max-Age=0/i);
      assert.equal(c.cookies.has('tessera_session'), false);
      assert.equal((await sessionRows(id)).length, 0);
      const replay = await client().gql(ME, undefined, { cookie: stolen });
      assert.deepEqual(replay.body, { data: { accountsMe: null } });
    });

    it('accountsLogout without a session answers false', async () => {
      const result = await client().gql('mutation { accountsLogout }');
      assert.deepEqual(result.body, { data: { accountsLogout: false } });
    });

    it('accountsLogoutAll ends every session of the user, this one included, and no one else’s', async () => {
      const a = client();
      const { email, password, id } = await a.register();
      const b = client();
      await b.login(email, password);
      const other = client();
      await other.register();
      const result = await a.gql('mutation { accountsLogoutAll }');
      assert.deepEqual(result.body, { data: { accountsLogoutAll: true } });
      assert.match(result.setCookies[0] as string, /Max-Age=0/i);
      assert.equal((await sessionRows(id)).length, 0);
      assert.equal((await b.gql(ME)).body.data.accountsMe, null);
      assert.notEqual((await other.gql(ME)).body.data.accountsMe, null);
      assert.equal(codeOf((await client().gql('mutation { accountsLogoutAll }')).body), 'UNAUTHENTICATED');
    });

    it('accountsChangePassword ends the other sessions, keeps this one, and only the new password works', async () => {
      const a = client();
      const { email, password, id } = await a.register();
      const b = client();
      await b.login(email, password);
      const result = await a.gql(CHANGE, { c: password, n: 'a brand new password' });
      assert.deepEqual(result.body, { data: { accountsChangePassword: true } });
      assert.equal((await a.gql(ME)).body.data.accountsMe.user.id, id);
      assert.equal((await b.gql(ME)).body.data.accountsMe, null);
      assert.equal((await sessionRows(id)).length, 1);
      assert.equal(codeOf((await client().login(email, password)).body), 'INVALID_CREDENTIALS');
      assert.equal((await client().login(email, 'a brand new password')).body.data.accountsLogin.id, id);
    });

    it('accountsChangePassword refuses a wrong current password, a short new one, and no session', async () => {
      const a = client();
      const { email, password } = await a.register();
      const wrong = await a.gql(CHANGE, { c: 'not my password', n: 'a brand new password' });
      assert.equal(codeOf(wrong.body), 'INVALID_CREDENTIALS');
      assert.equal(wrong.body.errors?.[0]?.extensions?.['field'], 'currentPassword');
      const short = await a.gql(CHANGE, { c: password, n: 'short' });
      assert.equal(codeOf(short.body), 'BAD_USER_INPUT');
      assert.equal(short.body.errors?.[0]?.extensions?.['field'], 'newPassword');
      assert.equal(codeOf((await client().gql(CHANGE, { c: password, n: 'a brand new password' })).body), 'UNAUTHENTICATED');
      assert.equal((await client().login(email, password)).body.errors, undefined, 'the password is unchanged');
    });

    it('systemAnnounce is FORBIDDEN for a user without the admin role and UNAUTHENTICATED without a session', async () => {
      const c = client();
      await c.register();
      const announce = 'mutation { systemAnnounce(message: "hello") { id message } }';
      const result = await c.gql(announce);
      assert.equal(codeOf(result.body), 'FORBIDDEN');
      assert.equal(result.body.data, null);
      assert.equal(codeOf((await client().gql(announce)).body), 'UNAUTHENTICATED');
    });

    it('systemAnnounce works for a user granted the admin role (by email, in any letter case), and stops when it is revoked', async () => {
      const c = client();
      await c.register(ADMIN.toLowerCase());
      assert.equal(codeOf((await c.gql('mutation { systemAnnounce(message: "too early") { id } }')).body), 'FORBIDDEN');
      await grantAdmin(server, ADMIN.toUpperCase());
      const result = await c.gql('mutation { systemAnnounce(message: "  maintenance at noon ") { id message createdAt } }');
      assert.equal(result.body.errors, undefined);
      assert.equal(result.body.data.systemAnnounce.message, 'maintenance at noon');
      const empty = await c.gql('mutation { systemAnnounce(message: "   ") { id } }');
      assert.equal(codeOf(empty.body), 'BAD_USER_INPUT');
      assert.equal(empty.body.errors?.[0]?.extensions?.['field'], 'message');
      // The role is read from the user row of each request: a revoke applies to the open session at once.
      await revokeAdmin(server, ADMIN);
      assert.equal(codeOf((await c.gql('mutation { systemAnnounce(message: "once more") { id } }')).body), 'FORBIDDEN');
    });

    it('registering gives no role: a new account is never an admin', async () => {
      const email = uniqueEmail();
      await client().register(email);
      const [row] = await userRows(email);
      assert.equal(row?.role, 'user');
    });
  });
}
