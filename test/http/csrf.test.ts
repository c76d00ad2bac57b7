/**
 * CSRF prevention and the Origin policy on /graphql: every kind of request a
 * browser could send cross-site without a preflight is refused before it runs,
 * a cookie-carrying request from a foreign Origin is refused, and CORS with
 * credentials is granted to ALLOWED_ORIGINS only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { backends } from '../helpers/backends.js';
import { HttpClient, uniqueEmail } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const FOREIGN = 'https://evil.example';
const APP = 'https://app.example.test';

const registerBody = (email: string) =>
  JSON.stringify({
    query: 'mutation ($e: String!) { accountsRegister(email: $e, password: "correct horse battery") { id } }',
    variables: { e: email },
  });

async function errorOf(response: Response): Promise<{ code: unknown; message: unknown }> {
  const body = (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
  return { code: body.errors?.[0]?.extensions?.code, message: body.errors?.[0]?.message };
}

for (const { backend, skip } of await backends()) {
  describe(`CSRF prevention (${backend.name})`, { skip }, () => {
    let server: TestServer;
    const stored = async (email: string) =>
      (await server.tessera.store.db.selectFrom('users').select('id').where('email_normalized', '=', email).execute()).length;

    before(async () => {
      server = await startServer({}, backend);
    });
    after(() => server?.close());

    for (const contentType of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      it(`a POST with Content-Type ${contentType} is refused with 400 CSRF_REJECTED and does not run`, async () => {
        const email = uniqueEmail();
        const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': contentType }, body: registerBody(email) });
        assert.equal(response.status, 400);
        assert.equal((await errorOf(response)).code, 'CSRF_REJECTED');
        assert.equal(await stored(email), 0);
      });
    }

    it('a POST with no Content-Type is refused with 400 CSRF_REJECTED', async () => {
      const email = uniqueEmail();
      const response = await fetch(`${server.url}/graphql`, { method: 'POST', body: new Blob([registerBody(email)]) });
      assert.equal(response.status, 400);
      assert.equal((await errorOf(response)).code, 'CSRF_REJECTED');
      assert.equal(await stored(email), 0);
    });

    const meQuery = `/graphql?query=${encodeURIComponent('{ accountsMe { user { id } } }')}`;

    it('a plain GET from a non-browser client (no Sec-Fetch-Site, no Origin) runs the query with the session', async () => {
      const client = new HttpClient(server.url);
      const { id } = await client.register();
      const response = await client.request(meQuery);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { data: { accountsMe: { user: { id } } } });
    });

    it('a plain same-origin browser GET (Sec-Fetch-Site: same-origin) runs the query with the session', async () => {
      const client = new HttpClient(server.url);
      const { id } = await client.register();
      const response = await client.request(meQuery, { headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors' } });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { data: { accountsMe: { user: { id } } } });
    });

    for (const site of ['cross-site', 'same-site']) {
      it(`a GET with Sec-Fetch-Site: ${site} and no Origin is refused with 400 CSRF_REJECTED, even for a signed-in user`, async () => {
        const client = new HttpClient(server.url);
        await client.register();
        const response = await client.request(`/graphql?query=${encodeURIComponent('{ accountsMe { token } }')}`, {
          headers: { 'sec-fetch-site': site, 'sec-fetch-mode': 'no-cors' },
        });
        assert.equal(response.status, 400);
        const error = await errorOf(response);
        assert.equal(error.code, 'CSRF_REJECTED');
        assert.match(String(error.message), new RegExp(site));
      });
    }

    it('a HEAD follows the GET rule: refused from another site, answered from the same origin', async () => {
      const url = `${server.url}/graphql?query=${encodeURIComponent('{ accountsMe { token } }')}`;
      assert.equal((await fetch(url, { method: 'HEAD', headers: { 'sec-fetch-site': 'cross-site' } })).status, 400);
      assert.equal((await fetch(url, { method: 'HEAD', headers: { 'sec-fetch-site': 'same-origin' } })).status, 200);
    });

    it('a GET from a foreign Origin is refused: 403 ORIGIN_FORBIDDEN with a cookie, 400 CSRF_REJECTED without', async () => {
      const client = new HttpClient(server.url);
      await client.register();
      const withCookie = await client.request(meQuery, { headers: { origin: FOREIGN, 'sec-fetch-site': 'cross-site' } });
      assert.equal(withCookie.status, 403);
      assert.equal((await errorOf(withCookie)).code, 'ORIGIN_FORBIDDEN');
      const anonymous = await fetch(`${server.url}${meQuery}`, { headers: { origin: FOREIGN } });
      assert.equal(anonymous.status, 400);
      assert.equal((await errorOf(anonymous)).code, 'CSRF_REJECTED');
    });

    it('a cross-site CORS GET from an allowed Origin runs, with CORS credentials granted', async () => {
      const client = new HttpClient(server.url);
      const { id } = await client.register();
      const allowed = `http://localhost:${server.port}`;
      const response = await client.request(meQuery, { headers: { origin: allowed, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' } });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { data: { accountsMe: { user: { id } } } });
      assert.equal(response.headers.get('access-control-allow-origin'), allowed);
    });

    it('a mutation over GET is still 405, from the same origin too, and does not run', async () => {
      const client = new HttpClient(server.url);
      await client.register();
      const response = await client.request(`/graphql?query=${encodeURIComponent('mutation { accountsLogout }')}`, {
        headers: { 'sec-fetch-site': 'same-origin' },
      });
      assert.equal(response.status, 405);
      const still = await client.gql('{ accountsMe { user { id } } }');
      assert.notEqual(still.body.data.accountsMe, null, 'the GET logout did not end the session');
    });

    it('a GET with GraphQL-Require-Preflight: 1 runs the query with the session', async () => {
      const client = new HttpClient(server.url);
      const { id } = await client.register();
      const response = await client.request(`/graphql?query=${encodeURIComponent('{ accountsMe { user { id } } }')}`, {
        headers: { 'graphql-require-preflight': '1' },
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { data: { accountsMe: { user: { id } } } });
    });

    it('a JSON POST with a preflight header and a cookie from an allowed Origin runs, with CORS credentials granted', async () => {
      const client = new HttpClient(server.url);
      const { id } = await client.register();
      const result = await client.gql('{ accountsMe { user { id } } }', undefined, { origin: server.url });
      assert.equal(result.status, 200);
      assert.equal(result.body.data.accountsMe.user.id, id);
      assert.equal(result.headers.get('access-control-allow-origin'), server.url);
      assert.equal(result.headers.get('access-control-allow-credentials'), 'true');
    });

    it('a cookie-carrying request from a foreign Origin gets 403 ORIGIN_FORBIDDEN and does not run', async () => {
      const client = new HttpClient(server.url);
      await client.register();
      const cookie = client.cookieHeader as string;
      const post = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: FOREIGN, cookie },
        body: JSON.stringify({ query: 'mutation { accountsLogout }' }),
      });
      assert.equal(post.status, 403);
      assert.equal((await errorOf(post)).code, 'ORIGIN_FORBIDDEN');
      assert.equal(post.headers.get('access-control-allow-origin'), null);
      assert.equal(post.headers.getSetCookie().length, 0);
      const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ accountsMe { token } }')}`, {
        headers: { origin: FOREIGN, cookie, 'graphql-require-preflight': '1' },
      });
      assert.equal(get.status, 403);
      assert.equal((await errorOf(get)).code, 'ORIGIN_FORBIDDEN');
      const still = await client.gql('{ accountsMe { user { id } } }');
      assert.notEqual(still.body.data.accountsMe, null, 'the refused logout did not end the session');
    });

    it('a request from a foreign Origin without a cookie runs, but gets no CORS grant', async () => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: FOREIGN },
        body: JSON.stringify({ query: '{ accountsMe { user { id } } }' }),
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { data: { accountsMe: null } });
      assert.equal(response.headers.get('access-control-allow-origin'), null);
      assert.equal(response.headers.get('access-control-allow-credentials'), null);
    });

    it('a CORS preflight from the default origins (http://localhost:PORT, http://127.0.0.1:PORT) is allowed with credentials', async () => {
      for (const origin of [`http://localhost:${server.port}`, `http://127.0.0.1:${server.port}`]) {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
        });
        assert.ok(response.status === 204 || response.status === 200, String(response.status));
        assert.equal(response.headers.get('access-control-allow-origin'), origin);
        assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
        assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
        assert.match(response.headers.get('access-control-allow-headers') ?? '', /content-type/i);
        assert.match(response.headers.get('access-control-allow-headers') ?? '', /graphql-require-preflight/i);
      }
    });

    it('a CORS preflight from a foreign Origin is not allowed', async () => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: FOREIGN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      assert.equal(response.headers.get('access-control-allow-origin'), null);
      assert.equal(response.headers.get('access-control-allow-credentials'), null);
    });
  });

  describe(`ALLOWED_ORIGINS (${backend.name})`, { skip }, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ ALLOWED_ORIGINS: `${APP}/, http://localhost:1234` }, backend);
    });
    after(() => server?.close());

    it('replaces the defaults: listed origins get CORS with credentials, the server’s own address no longer does', async () => {
      const preflight = (origin: string) =>
        fetch(`${server.url}/graphql`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
        });
      const app = await preflight(APP);
      assert.equal(app.headers.get('access-control-allow-origin'), APP);
      assert.equal(app.headers.get('access-control-allow-credentials'), 'true');
      assert.equal((await preflight('http://localhost:1234')).headers.get('access-control-allow-origin'), 'http://localhost:1234');
      assert.equal((await preflight(server.url)).headers.get('access-control-allow-origin'), null);
    });

    it('a cookie-carrying request from a listed Origin runs; from the unlisted own address it gets 403', async () => {
      const client = new HttpClient(server.url);
      const { id } = await client.register();
      const allowed = await client.gql('{ accountsMe { user { id } } }', undefined, { origin: APP });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.body.data.accountsMe.user.id, id);
      const refused = await client.gql('{ accountsMe { user { id } } }', undefined, { origin: server.url });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.errors?.[0]?.extensions?.['code'], 'ORIGIN_FORBIDDEN');
    });
  });
}
