/**
 * Login and register are limited per address (AUTH_RATE_LIMIT_PER_IP) and,
 * for clients without a device cookie for the email, per (email, address)
 * (AUTH_RATE_LIMIT_PER_EMAIL_ADDRESS) and per email (AUTH_RATE_LIMIT_PER_EMAIL);
 * a browser with a valid device cookie for the email is limited per device
 * (AUTH_RATE_LIMIT_PER_DEVICE) instead, so guessing cannot lock its owner out.
 * Over a limit the answer is RATE_LIMITED with retryAfterSeconds and a
 * Retry-After header. Strings that cannot be an email are refused before
 * anything is counted, and the counters in memory are bounded in number.
 */
import assert from 'node:assert/strict';
import { describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryRateLimiter } from '../../src/accounts/rate-limiter.js';
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
        // Each attempt from a fresh client: none has a device cookie for the email.
        const fresh = () => new HttpClient(server.url);
        assert.equal((await fresh().login(email, 'wrong password!')).body.errors?.[0]?.extensions?.['code'], 'INVALID_CREDENTIALS');
        assert.equal((await fresh().login(email.toUpperCase(), password)).body.errors, undefined); // attempt 3
        assertLimited(await fresh().login(email, password), 300);
        assertLimited(await fresh().login(` ${email.toUpperCase()} `, password), 300);
        assertLimited(await fresh().gql(REGISTER, { e: email, p: password }), 300);
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

    it('accountsChangePassword counts against the limits, so it cannot be used to guess the password', async () => {
      await withServer({ AUTH_RATE_LIMIT_PER_EMAIL: '3', AUTH_RATE_LIMIT_PER_DEVICE: '2', AUTH_RATE_LIMIT_PER_IP: '1000' }, backend, async (server) => {
        const change = 'mutation ($c: String!) { accountsChangePassword(currentPassword: $c, newPassword: "a brand new password") }';
        // With the device cookie of the browser that registered: the per-device limit.
        const owner = new HttpClient(server.url);
        const { password } = await owner.register(); // device attempt: none yet (the cookie comes with the answer)
        for (let i = 0; i < 2; i++) {
          assert.equal((await owner.gql(change, { c: `guess number ${i}` })).body.errors?.[0]?.extensions?.['code'], 'INVALID_CREDENTIALS');
        }
        assertLimited(await owner.gql(change, { c: password }), 300);
        // With a session but no device cookie (say, a stolen session cookie): the per-email limit.
        const thief = new HttpClient(server.url);
        const other = await thief.register(); // attempt 1 for this email
        thief.cookies.delete('tessera_device');
        for (let i = 0; i < 2; i++) {
          assert.equal((await thief.gql(change, { c: `guess number ${i}` })).body.errors?.[0]?.extensions?.['code'], 'INVALID_CREDENTIALS');
        }
        assertLimited(await thief.gql(change, { c: other.password }), 300);
      });
    });

    it('a string that cannot be an email is refused as INVALID_CREDENTIALS without counting anything', async () => {
      await withServer({ AUTH_RATE_LIMIT_PER_IP: '3' }, backend, async (server) => {
        const limiter = server.tessera.rateLimiter;
        assert.ok(limiter instanceof MemoryRateLimiter);
        const client = new HttpClient(server.url);
        for (const email of ['not-an-email', 'a'.repeat(300) + '@example.com', 'two@@example.com', 'a b@example.com', 'x@y', `nul\u0000@example.com`]) {
          for (let i = 0; i < 5; i++) {
            const result = await client.login(email, 'some password');
            assert.equal(result.body.errors?.[0]?.extensions?.['code'], 'INVALID_CREDENTIALS', email.slice(0, 40));
          }
        }
        assert.equal(limiter.size, 0, 'no window was made');
        // The address's budget is untouched: three real attempts are still allowed.
        for (let i = 0; i < 3; i++) {
          assert.equal((await client.login(uniqueEmail(), 'some password')).body.errors?.[0]?.extensions?.['code'], 'INVALID_CREDENTIALS');
        }
        assertLimited(await client.login(uniqueEmail(), 'some password'), 300);
      });
    });

    it('a request refused for its address creates and counts no per-email window', async () => {
      await withServer({ AUTH_RATE_LIMIT_PER_IP: '2', AUTH_RATE_LIMIT_PER_EMAIL: '10' }, backend, async (server) => {
        const limiter = server.tessera.rateLimiter as MemoryRateLimiter;
        const client = new HttpClient(server.url);
        const victim = await new HttpClient(server.url).register(); // from the same address: 1 of 2
        assert.equal((await client.login(uniqueEmail(), 'some password')).body.errors?.[0]?.extensions?.['code'], 'INVALID_CREDENTIALS');
        const before = limiter.size; // ip, and (email-ip, email) for each of the two emails
        assert.equal(before, 5);
        for (let i = 0; i < 50; i++) assertLimited(await client.login(uniqueEmail(), 'some password'), 300);
        for (let i = 0; i < 20; i++) assertLimited(await client.login(victim.email, 'a guess'), 300);
        assert.equal(limiter.size, before, 'refused requests made no windows');
      });
    });

    it('without Redis, the counters kept in memory never pass AUTH_RATE_LIMIT_MAX_KEYS, however many addresses and emails', async () => {
      await withServer({ AUTH_RATE_LIMIT_MAX_KEYS: '100', TRUST_PROXY: 'loopback' }, backend, async (server) => {
        const limiter = server.tessera.rateLimiter as MemoryRateLimiter;
        let sent = 0;
        const worker = async () => {
          while (sent < 150) {
            const n = sent++;
            const result = await new HttpClient(server.url).gql(
              'mutation ($e: String!) { accountsLogin(email: $e, password: "some password") { id } }',
              { e: `junk${n}@example.test` },
              { 'x-forwarded-for': `198.51.100.${n % 250}` },
            );
            assert.equal(result.body.errors?.[0]?.extensions?.['code'], 'INVALID_CREDENTIALS');
            assert.ok(limiter.size <= 100, `size ${limiter.size}`);
          }
        };
        await Promise.all([worker(), worker(), worker(), worker()]);
        assert.ok(limiter.size >= 90 && limiter.size <= 100, `size ${limiter.size}`);
      });
    });
  });

  // The limits at their defaults (the test helper raises them), behind a proxy so that each
  // attacker can come from its own address.
  const DEFAULT_LIMITS = {
    AUTH_RATE_LIMIT_PER_IP: '100',
    AUTH_RATE_LIMIT_PER_EMAIL: '10',
    AUTH_RATE_LIMIT_PER_EMAIL_ADDRESS: '5',
    AUTH_RATE_LIMIT_PER_DEVICE: '10',
    TRUST_PROXY: 'loopback',
  };
  const LOGIN = 'mutation ($e: String!, $p: String!) { accountsLogin(email: $e, password: $p) { id } }';
  const from = (client: HttpClient, address: string, email: string, password: string) =>
    client.gql(LOGIN, { e: email, p: password }, { 'x-forwarded-for': address });
  const codeOf = (result: GqlResponse) => result.body.errors?.[0]?.extensions?.['code'];

  describe(`no lockout of the owner: device cookies (${backend.name})`, { skip }, () => {
    it('after 20 wrong guesses from 10 addresses, the owner with their device cookie signs in; the attackers, even with the right password, are RATE_LIMITED', async () => {
      await withServer(DEFAULT_LIMITS, backend, async (server) => {
        const owner = new HttpClient(server.url);
        const { email, password, id } = await owner.register(); // the owner's browser now holds a device cookie
        let wrongAnswers = 0;
        let limited = 0;
        for (let round = 0; round < 2; round++) {
          for (let a = 0; a < 10; a++) {
            const result = await from(new HttpClient(server.url), `203.0.113.${a + 1}`, email, `guess ${round}-${a}`);
            if (codeOf(result) === 'INVALID_CREDENTIALS') wrongAnswers++;
            else if (codeOf(result) === 'RATE_LIMITED') limited++;
            else assert.fail(JSON.stringify(result.body));
          }
        }
        // No more guesses than the per-email limit allows (the owner's registration was one attempt).
        assert.equal(wrongAnswers, 9);
        assert.equal(limited, 11);
        // The attacker is refused even with the right password, from a new address too.
        assertLimited(await from(new HttpClient(server.url), '203.0.113.1', email, password), 300);
        assertLimited(await from(new HttpClient(server.url), '203.0.113.99', email, password), 300);
        // The owner's browser is exempt from the per-email lockout.
        const signIn = await from(owner, '192.0.2.10', email, password);
        assert.equal(signIn.body.errors, undefined, JSON.stringify(signIn.body));
        assert.equal(signIn.body.data.accountsLogin.id, id);
        // Without its device cookie, the owner would be refused like anyone else (the cost of the lockout).
        assertLimited(await from(new HttpClient(server.url), '192.0.2.10', email, password), 300);
      });
    });

    it('a device cookie for another email, a tampered one or a made-up one exempts nobody', async () => {
      await withServer({ ...DEFAULT_LIMITS, AUTH_RATE_LIMIT_PER_EMAIL: '2' }, backend, async (server) => {
        const { email, password } = await new HttpClient(server.url).register(); // 1 of 2
        assert.equal(codeOf(await from(new HttpClient(server.url), '203.0.113.1', email, 'wrong guess')), 'INVALID_CREDENTIALS'); // 2 of 2
        const attacker = new HttpClient(server.url);
        await attacker.register(); // a valid device cookie, for the attacker's own email
        const own = attacker.cookies.get('tessera_device') as string;
        assertLimited(await from(attacker, '203.0.113.2', email, password), 300);
        const [version, device, issued, mac] = own.split('.') as [string, string, string, string];
        const flipped = `${mac.slice(0, -2)}${mac.at(-2) === 'A' ? 'B' : 'A'}${mac.at(-1)}`;
        for (const forged of [`${version}.${device}.${issued}.${flipped}`, `${version}.${'A'.repeat(22)}.${issued}.${mac}`, 'v1.x.y.z', 'garbage', 'v1.' + 'A'.repeat(5000)]) {
          const client = new HttpClient(server.url);
          client.cookies.set('tessera_device', forged);
          assertLimited(await from(client, '203.0.113.3', email, password), 300);
        }
      });
    });

    it('a known device has a limit of its own (AUTH_RATE_LIMIT_PER_DEVICE)', async () => {
      await withServer({ ...DEFAULT_LIMITS, AUTH_RATE_LIMIT_PER_DEVICE: '3' }, backend, async (server) => {
        const owner = new HttpClient(server.url);
        const { email, password } = await owner.register();
        for (let i = 0; i < 3; i++) assert.equal(codeOf(await from(owner, '192.0.2.10', email, `typo ${i}`)), 'INVALID_CREDENTIALS');
        assertLimited(await from(owner, '192.0.2.10', email, password), 300);
        // The device's refusals did not count against the email: another browser still gets in.
        const laptop = await from(new HttpClient(server.url), '192.0.2.11', email, password);
        assert.equal(laptop.body.errors, undefined);
      });
    });

    it('one address gets at most AUTH_RATE_LIMIT_PER_EMAIL_ADDRESS guesses at an email, and those are not spent from the email’s budget once refused', async () => {
      await withServer(DEFAULT_LIMITS, backend, async (server) => {
        const { email, password } = await new HttpClient(server.url).register(); // email 1 of 10
        const guesses = [];
        for (let i = 0; i < 12; i++) guesses.push(codeOf(await from(new HttpClient(server.url), '203.0.113.7', email, `guess ${i}`)));
        assert.deepEqual(guesses, [...Array(5).fill('INVALID_CREDENTIALS'), ...Array(7).fill('RATE_LIMITED')]);
        // 1 + 5 attempts counted for the email: four more from elsewhere are allowed, then none.
        for (let i = 0; i < 4; i++) assert.equal(codeOf(await from(new HttpClient(server.url), `203.0.113.${20 + i}`, email, 'nope')), 'INVALID_CREDENTIALS');
        assertLimited(await from(new HttpClient(server.url), '203.0.113.30', email, password), 300);
      });
    });
  });
}
