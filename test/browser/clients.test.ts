/**
 * Issue 12, "Clients with their defaults", in Chromium: graphql-ws, Apollo
 * Client and urql, bundled with esbuild into a test page (in memory, served by
 * a small app server in front of Tessera that forwards the rest, so the page is
 * same-origin with the API and nothing test-only is added to web/ or to the
 * server), run the seed's flow: register, a fresh
 * ticket per connect, accountsUserCount values, a server restart ridden out,
 * logout ending the subscription with 4401 and no reconnect. And GET CSRF in a
 * real browser: a same-origin GET (urql's default) passes; a top-level GET
 * navigation from a same-site or cross-site page, with the user's cookie, is
 * refused.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from '../helpers/suite.js'; // counts a skipped suite's tests
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import { type AppProxy, startAppProxy } from '../helpers/app-proxy.js';
import { RestartableServer } from '../helpers/restartable-server.js';
import { freePort } from '../helpers/server.js';
import { uniqueEmail } from '../helpers/http-client.js';
import type { FlowState } from '../clients/flow.js';
import { browserSkip, launch, type LaunchedBrowser, record, ROOT, sleep, until } from './browser.js';

const CLIENTS = ['graphql-ws', 'apollo', 'urql'] as const;

async function bundle(): Promise<string> {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'test', 'clients', 'browser-entry.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['chrome100'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced nothing');
  return file.text;
}

const stateOf = (page: Page): Promise<FlowState> => page.evaluate(() => (globalThis as unknown as { flow: { state: FlowState } }).flow.state);

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly site: string | undefined;
  readonly cookie: boolean;
}

describe('the seed’s flow with real clients in their default configurations (Chromium)', { skip: browserSkip() }, () => {
  let server: RestartableServer;
  let app: AppProxy;
  let chromium: LaunchedBrowser;
  const requests: Seen[] = [];

  before(async () => {
    // The test page's origin: an app server in front of Tessera (same origin for the page, its
    // fetches and its socket), allowed in ALLOWED_ORIGINS as a deployment would allow its app.
    const appPort = await freePort();
    const script = bundle();
    [server, chromium] = await Promise.all([RestartableServer.start({ ALLOWED_ORIGINS: `http://127.0.0.1:${appPort}` }), launch()]);
    const files = new Map([
      ['/clients.html', ['text/html; charset=utf-8', '<!doctype html><meta charset="utf-8"><title>clients</title><link rel="icon" href="data:,"><script type="module" src="/clients.js"></script>'] as const],
      ['/clients.js', ['text/javascript; charset=utf-8', await script] as const],
    ]);
    app = await startAppProxy(files, server.port, {
      port: appPort,
      onRequest: (request) =>
        void requests.push({
          method: request.method ?? '',
          url: request.url ?? '',
          site: request.headers['sec-fetch-site'] as string | undefined,
          cookie: /tessera_session=/.test(request.headers.cookie ?? ''),
        }),
    });
  });

  after(async () => {
    await chromium?.close();
    await app?.close();
    await server?.close();
  });

  for (const name of CLIENTS) {
    test(`${name}: register, ticket, accountsUserCount, restart → recovered, logout → 4401 and no reconnect`, async () => {
      const page = await chromium.context.newPage();
      const seen = record(page);
      const gets: { url: string; status: number }[] = [];
      page.on('response', (response) => {
        const request = response.request();
        if (request.method() === 'GET' && request.url().startsWith(`${app.url}/graphql?`)) gets.push({ url: request.url(), status: response.status() });
      });
      const firstRequest = requests.length;
      try {
        await page.goto(`${app.url}/clients.html?client=${name}`);
        await until('the page script', () => page.evaluate(() => 'flow' in globalThis));
        await page.evaluate(
          async ({ email }) => {
            const flow = (globalThis as unknown as { flow: { register(e: string, p: string): Promise<void>; subscribe(): void } }).flow;
            await flow.register(email, 'correct horse battery');
            flow.subscribe();
          },
          { email: uniqueEmail() },
        );
        await until('two values', async () => (await stateOf(page)).values.length >= 2, 15_000);
        let state = await stateOf(page);
        assert.equal(state.connects, 1);
        for (const value of state.values) assert.ok(Number.isInteger(value) && value >= 1 && value <= 10);

        await server.restart();
        const before = state.values.length;
        await until('a reconnect after the restart', async () => (await stateOf(page)).connects === 2, 20_000);
        await until('values after the restart', async () => (await stateOf(page)).values.length >= before + 2, 15_000);
        state = await stateOf(page);
        assert.deepEqual(state.closes[0], { code: 1001, reason: 'server shutting down' });
        assert.equal(state.tickets, 2);

        const loggedOut = await page.evaluate(() => (globalThis as unknown as { flow: { logout(): Promise<boolean> } }).flow.logout());
        assert.equal(loggedOut, true);
        await until('the subscription to end', async () => (await stateOf(page)).ended, 10_000);
        // Ended, not retrying: graphql-ws calls the sink's error only for a close it will not retry (a retried
        // close is silent). A little longer, in case something reconnected all the same.
        await sleep(1500);
        state = await stateOf(page);
        assert.deepEqual(state.closes[1], { code: 4401, reason: 'session ended' });
        assert.equal(state.connects, 2, 'no anonymous reconnect after logout');
        assert.equal(state.closes.length, 2);
        assert.equal(seen.sockets.length, 2);
        if (name === 'urql') {
          assert.ok(gets.length >= 2, `urql sent its ticket queries as GET (its default): ${JSON.stringify(gets)}`);
          for (const get of gets) assert.equal(get.status, 200);
          const sites = requests.slice(firstRequest).filter((r) => r.method === 'GET' && r.url.startsWith('/graphql?')).map((r) => r.site);
          assert.ok(sites.length >= 2 && sites.every((site) => site === 'same-origin'), `plain same-origin GETs: ${sites}`);
        }
        assert.deepEqual(seen.consoleErrors, []);
      } finally {
        await page.close();
      }
    });
  }

  test('a GET navigation from a same-site or cross-site page, with the user’s cookie, is refused with CSRF_REJECTED', async () => {
    // Sign in on Tessera's own origin (the page's cookie jar is the context's).
    const own = await chromium.context.newPage();
    await own.goto(`${app.url}/clients.html?client=graphql-ws`);
    await until('the page script', () => own.evaluate(() => 'flow' in globalThis));
    await own.evaluate(
      async ({ email }) => (globalThis as unknown as { flow: { register(e: string, p: string): Promise<void> } }).flow.register(email, 'correct horse battery'),
      { email: uniqueEmail() },
    );
    const target = `${app.url}/graphql?query=${encodeURIComponent('{ accountsMe { user { email } token } }')}`;
    // The same GET from the own origin runs (Sec-Fetch-Site: same-origin): the refusals below are about where it came from.
    const ownAnswer = await own.evaluate(async (url) => (await fetch(url)).json(), target);
    assert.match(JSON.stringify(ownAnswer), /"token":"t1\./);
    await own.close();

    const foreign: Server[] = [];
    try {
      // 127.0.0.1 on another port: same site (the SameSite=Lax cookie rides along on any request);
      // 127.0.0.2: another site (the cookie rides along on a top-level GET navigation).
      for (const host of ['127.0.0.1', '127.0.0.2']) {
        const html = `<!doctype html><meta charset="utf-8"><title>Win a prize</title><a id="go" href="${target}">prize</a>`;
        const page = createServer((_request, response) => void response.writeHead(200, { 'content-type': 'text/html' }).end(html));
        foreign.push(page);
        const port = await freePort(host);
        await new Promise<void>((resolve) => page.listen(port, host, resolve));
        const tab = await chromium.context.newPage();
        await tab.goto(`http://${host}:${port}/`);
        const seenBefore = requests.length;
        const [response] = await Promise.all([tab.waitForEvent('response', (r) => r.url() === target), tab.click('#go')]);
        const arrived = requests.slice(seenBefore).find((r) => r.url.startsWith('/graphql?'));
        assert.equal(arrived?.cookie, true, `${host}: the browser did send the cookie`);
        assert.equal(arrived?.site, host === '127.0.0.1' ? 'same-site' : 'cross-site');
        assert.equal(response.status(), 400, host);
        const body = await response.text();
        assert.match(body, /CSRF_REJECTED/);
        assert.doesNotMatch(body, /t1\./, 'no ticket in the answer');
        await tab.close();
      }
    } finally {
      for (const page of foreign) page.close();
    }
  });
});
