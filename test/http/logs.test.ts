/**
 * Every log line of a full register, login, me, logout run (and of requests
 * carrying secrets in the URL or headers) is captured and searched: no
 * password, cookie value, Set-Cookie value, ticket or token may appear.
 */
import assert from 'node:assert/strict';
import { describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { RawClient } from '../helpers/ws-client.js';
import { backends } from '../helpers/backends.js';
import { HttpClient, uniqueEmail } from '../helpers/http-client.js';
import { startServer } from '../helpers/server.js';

const LOGIN = 'mutation ($email: String!, $password: String!) { accountsLogin(email: $email, password: $password) { id } }';

function assertAbsent(logs: readonly string[], secrets: ReadonlyMap<string, string>): void {
  assert.ok(logs.length > 0);
  const text = logs.join('\n');
  for (const [what, secret] of secrets) {
    assert.ok(secret.length >= 8, `${what} is long enough to search for`);
    for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) {
      const line = logs.find((l) => l.includes(form));
      assert.ok(!text.includes(form), `${what} appears in the log: ${line?.slice(0, 400)}`);
    }
  }
}

for (const { backend, skip } of await backends()) {
  describe(`logs (${backend.name})`, { skip }, () => {
    it('a register, login, me, sessions, change-password, logout run logs no password, cookie, Set-Cookie or ticket', async () => {
      const server = await startServer({ LOG_LEVEL: 'trace' }, backend);
      const secrets = new Map<string, string>();
      try {
        const email = uniqueEmail();
        const password = 'Pw-first-8f3kq92zx';
        const newPassword = 'Pw-second-m1v7c0r4t';
        const wrongPassword = 'Pw-wrong-a8d7f6g5h';
        secrets.set('password', password).set('new password', newPassword).set('wrong password', wrongPassword);

        const client = new HttpClient(server.url);
        const registered = await client.gql(
          'mutation ($email: String!, $password: String!) { accountsRegister(email: $email, password: $password) { id } }',
          { email, password },
        );
        assert.equal(registered.body.errors, undefined);
        const rememberCookies = (lines: string[], label: string) =>
          lines.forEach((line, i) => {
            secrets.set(`${label} Set-Cookie ${i}`, line);
            const value = line.split(';')[0]?.split('=').slice(1).join('=') ?? '';
            if (value !== '') secrets.set(`${label} cookie value ${i}`, value);
          });
        rememberCookies(registered.setCookies, 'register');

        assert.equal((await new HttpClient(server.url).login(email, wrongPassword)).body.errors?.[0]?.extensions?.['code'], 'INVALID_CREDENTIALS');
        const login = await client.login(email, password);
        assert.equal(login.body.errors, undefined);
        rememberCookies(login.setCookies, 'login');

        const me = await client.gql('{ accountsMe { user { id } token } }');
        const ticket = me.body.data.accountsMe.token as string;
        secrets.set('ticket', ticket).set('ticket signature', ticket.split('.')[2] as string);
        await client.gql('{ accountsSessions { id } }');
        const changed = await client.gql('mutation ($c: String!, $n: String!) { accountsChangePassword(currentPassword: $c, newPassword: $n) }', {
          c: password,
          n: newPassword,
        });
        assert.equal(changed.body.errors, undefined);
        const logout = await client.gql('mutation { accountsLogout }');
        assert.deepEqual(logout.body, { data: { accountsLogout: true } });
        rememberCookies(logout.setCookies.filter((line) => !/^[^=]+=;/.test(line)), 'logout');

        assertAbsent(server.logs, secrets);
        for (const line of server.logs) assert.doesNotThrow(() => JSON.parse(line), line.slice(0, 200));
        const requests = server.logs.map((line) => JSON.parse(line)).filter((line) => line.msg === 'request completed');
        assert.equal(requests.length, 7, 'one line per request: register, failed login, login, me, sessions, change password, logout');
        assert.ok(requests.every((line) => line.req?.method === 'POST' && line.res?.statusCode === 200));
      } finally {
        await server.close();
      }
    });

    it('secrets in the URL (token, variables, query, a bare value) or in Authorization or Cookie headers are not logged', async () => {
      const server = await startServer({ LOG_LEVEL: 'trace' }, backend);
      try {
        const client = new HttpClient(server.url);
        const { email, password } = await client.register(uniqueEmail(), 'Pw-url-q8w7e6r5t4');
        const ticket = await client.ticket();
        const cookie = client.cookieHeader as string;
        const secrets = new Map([
          ['password', password],
          ['ticket', ticket],
          ['cookie', cookie.split('=')[1] as string],
          ['bearer token', 'bearer-secret-0a9s8d7f6g'],
          ['access_token', 'access-secret-z1x2c3v4b5'],
        ]);
        const variables = JSON.stringify({ email, password });
        const urls = [
          `/graphql?token=${encodeURIComponent(ticket)}`,
          `/graphql?query=${encodeURIComponent('{ accountsMe { user { id } } }')}&token=${encodeURIComponent(ticket)}`,
          `/graphql?query=${encodeURIComponent(LOGIN)}&variables=${encodeURIComponent(variables)}`,
          `/graphql?query=${encodeURIComponent(`mutation { accountsLogin(email: "${email}", password: "${password}") { id } }`)}`,
          `/graphql?operationName=Me&access_token=access-secret-z1x2c3v4b5`,
          `/graphql?${encodeURIComponent(ticket)}`,
          `/graphql?x=1&${ticket}`,
          `/elsewhere?token=${encodeURIComponent(ticket)}&password=${encodeURIComponent(password)}`,
        ];
        for (const url of urls) {
          for (const headers of [{}, { 'graphql-require-preflight': '1' }] as Record<string, string>[]) {
            const response = await fetch(`${server.url}${url}`, {
              headers: { ...headers, cookie, authorization: 'Bearer bearer-secret-0a9s8d7f6g' },
            });
            await response.arrayBuffer();
          }
        }
        // The seed's weak spot: a ticket in the socket URL (refused or not, it must not be logged).
        for (const origin of [server.url, 'https://evil.example']) {
          const socket = await RawClient.open(`${server.wsUrl}?token=${encodeURIComponent(ticket)}`, { origin, headers: { cookie } }).catch(() => undefined);
          socket?.close();
          await socket?.closed;
        }
        assertAbsent(server.logs, secrets);
        const urlsLogged = server.logs.filter((line) => line.includes('request completed') && line.includes('"GET"'));
        assert.ok(urlsLogged.length >= urls.length * 2, 'the requests were logged');
        assert.ok(urlsLogged.some((line) => line.includes('operationName=Me')), 'operationName stays visible');
      } finally {
        await server.close();
      }
    });

    it('a real ticket or session secret in a path segment, a query value, operationName, User-Agent or Origin is not logged', async () => {
      const server = await startServer({ LOG_LEVEL: 'trace' }, backend);
      try {
        const client = new HttpClient(server.url);
        await client.register(uniqueEmail(), 'Pw-path-z9x8c7v6b5');
        const ticket = await client.ticket();
        const secret = /(?:^|; )tessera_session=([^;]*)/.exec(client.cookieHeader ?? '')?.[1] as string;
        assert.match(secret, /^[A-Za-z0-9_-]{43}$/, 'the cookie holds the session secret');
        const secrets = new Map([
          ['ticket', ticket],
          ['ticket claims', ticket.split('.')[1] as string],
          ['ticket signature', ticket.split('.')[2] as string],
          ['session secret', secret],
        ]);
        const percent = (text: string) => `%${text.charCodeAt(0).toString(16).toUpperCase()}${text.slice(1)}`;
        const urls = [
          `/graphql/${ticket}`,
          `/${secret}`,
          `/graphql/${secret}/x`,
          `/graphql/${ticket.replaceAll('.', '%2E')}`,
          `/graphql/${percent(secret)}`,
          `/graphql/${percent(ticket)}?operationName=Me`,
          `/graphql?x=${ticket}`,
          `/graphql?operationName=${secret}`,
          `/graphql?operationName=${encodeURIComponent(ticket)}`,
          `/graphql?query=${encodeURIComponent('{ accountsMe { user { id } } }')}&operationName=${secret}`,
        ];
        for (const url of urls) {
          const response = await fetch(`${server.url}${url}`, { headers: { 'graphql-require-preflight': '1' } });
          await response.arrayBuffer();
        }
        for (const operationName of [ticket, secret]) {
          const response = await fetch(`${server.url}/graphql?operationName=${encodeURIComponent(operationName)}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'user-agent': `agent/${ticket}` },
            body: JSON.stringify({ query: 'query Me { accountsMe { user { id } } }', operationName }),
          });
          await response.arrayBuffer();
        }
        // At the socket upgrade: a path that is not /graphql (404) and a foreign Origin (403) are logged.
        for (const [url, origin] of [
          [`${server.wsUrl}/${ticket}`, server.url],
          [`${server.wsUrl}/${secret}?operationName=${secret}`, server.url],
          [server.wsUrl, `https://${secret}.example`],
        ] as const) {
          const socket = await RawClient.open(url, { origin }).catch(() => undefined);
          socket?.close();
          await socket?.closed;
        }
        const text = server.logs.join('\n');
        assert.ok(text.includes('websocket upgrade refused'), 'the refused upgrades were logged');
        const requests = server.logs.map((line) => JSON.parse(line)).filter((line) => line.msg === 'request completed');
        assert.equal(requests.length, urls.length + 2 + 2, 'every request was logged (and the register and the ticket)');
        assertAbsent(server.logs, secrets);
        assert.ok(requests.some((line) => line.req.url === '/graphql/[redacted]?operationName=Me'), 'the rest of the URL stays readable');
      } finally {
        await server.close();
      }
    });
  });
}
