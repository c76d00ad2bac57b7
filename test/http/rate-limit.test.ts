/**
 * Login and register are limited per email (AUTH_RATE_LIMIT_PER_EMAIL) and per
 * IP (AUTH_RATE_LIMIT_PER_IP) within AUTH_RATE_LIMIT_WINDOW_SECONDS: over the
 * limit the answer is RATE_LIMITED with retryAfterSeconds and a Retry-After header.
 */
import assert from 'node:assert/strict';
import { describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { setTimeout as sleep } from 'node:timers/promises';
import { backends } from '../helpers/backends.js';
import { type GqlResponse, HttpClient, uniqueEmail } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const REGISTER = 'mutation ($e: String!, $p: String!) { accountsRegister(email: $e, password: $p) { id } }';

function assertLimited(result: GqlResponse, windowSeconds: number): number {
  const error = result.body.errors?.[0];
  assert.equal(error?.extensions?.['code'], 'RATE_LIMITED', JSON.stringify(result.body));
  const retry = error?.extensions?.['retryAfterSeconds'];
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= windowSeconds, `retryAfterSeconds ${retry}`);
  assert.equal(result.headers.get('retry-after'), String(retry));
  assert.equal(result.setCookies.length, 0, 'no session when limited');
  return retry;
}

async function withServer(env: Record<string, string>, backend: Parameters<typeof startServer>[1], run: (server: TestServer) => Promise<void>) {
  const server = await startServer(env, backend);
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

for (const { backend, skip } of await backends()) {
  describe(`auth rate limits (${backend.name})`, { skip }, () => {
    it('logins for one email beyond AUTH_RATE_LIMIT_PER_EMAIL are RATE_LIMITED, even with the right password, in any letter case', async () => {
      await withServer({ AUTH_RATE_LIMIT_PER_EMAIL: '3', AUTH_RATE_LIMIT_PER_IP: '1000' }, backend, async (server) => {
        const { email, password } = await new HttpClient(server.url).register(); // attempt 1 for this email
        const client = new HttpClient(server.url);
        assert.equal((await client.login(email, 'wrong password!')).body.errors?.[0]?.extensions?.['code'], 'INVALID_CREDENTIALS');
        assert.equal((await client.login(email.toUpperCase(), password)).body.errors, undefined); // attempt 3
        assertLimited(await client.login(email, password), 300);
        assertLimited(await client.login(` ${email.toUpperCase()} `, password), 300);
        assertLimited(await client.gql(REGISTER, { e: email, p: password }), 300);
        // Another email from the same address is not affected.
        const other = new HttpClient(server.url);
        await other.register();
      });
    });

    it('attempts from one IP beyond AUTH_RATE_LIMIT_PER_IP are RATE_LIMITED whatever the email, and a limited register stores nothing', async () => {
      await withServer({ AUTH_RATE_LIMIT_PER_EMAIL: '1000', AUTH_RATE_LIMIT_PER_IP: '3' }, backend, async (server) => {
        const client = new HttpClient(server.url);
        for (let i = 0; i < 3; i++) {
          assert.equal((await client.login(uniqueEmail(), 'some password')).body.errors?.[0]?.extensions?.['code'], 'INVALID_CREDENTIALS');
        }
        assertLimited(await client.login(uniqueEmail(), 'some password'), 300);
        const email = uniqueEmail();
        assertLimited(await client.gql(REGISTER, { e: email, p: 'correct horse battery' }), 300);
        const users = await server.tessera.store.db.selectFrom('users').select('id').execute();
        assert.equal(users.length, 0);
      });
    });

    it('the limit lifts when the window ends (AUTH_RATE_LIMIT_WINDOW_SECONDS), and Retry-After says when', async () => {
      await withServer({ AUTH_RATE_LIMIT_PER_EMAIL: '1', AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_WINDOW_SECONDS: '1' }, backend, async (server) => {
        const { email, password } = await new HttpClient(server.url).register();
        const client = new HttpClient(server.url);
        const retry = assertLimited(await client.login(email, password), 1);
        await sleep(retry * 1000 + 100);
        assert.equal((await client.login(email, password)).body.errors, undefined);
      });
    });

    it('accountsChangePassword counts against the limit, so it cannot be used to guess the password', async () => {
      await withServer({ AUTH_RATE_LIMIT_PER_EMAIL: '3', AUTH_RATE_LIMIT_PER_IP: '1000' }, backend, async (server) => {
        const client = new HttpClient(server.url);
        const { password } = await client.register();
        const change = 'mutation ($c: String!) { accountsChangePassword(currentPassword: $c, newPassword: "a brand new password") }';
        for (let i = 0; i < 2; i++) {
          assert.equal((await client.gql(change, { c: `guess number ${i}` })).body.errors?.[0]?.extensions?.['code'], 'INVALID_CREDENTIALS');
        }
        assertLimited(await client.gql(change, { c: password }), 300);
      });
    });
  });
}
