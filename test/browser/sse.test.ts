/**
 * Issue 13 in Chromium: graphql-sse's client, bundled into a same-origin test page
 * (served by an app server in front of Tessera, as in clients.test.ts), runs the
 * seed's flow over SSE in both modes with the browser's own cookie handling:
 * register, accountsUserCount values, logout ending the stream with "session
 * ended" and no reconnect. And a cross-site page cannot open an authenticated
 * stream: from another port (same site: the browser sends the SameSite=Lax cookie,
 * with its foreign Origin) the server refuses it, 403; from another site the
 * browser sends no cookie and the stream is anonymous (UNAUTHENTICATED); and
 * CORS keeps either page from reading anything.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from '../helpers/suite.js'; // counts a skipped suite's tests
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import { type AppProxy, startAppProxy } from '../helpers/app-proxy.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { uniqueEmail } from '../helpers/http-client.js';
import type { SsePageState } from '../clients/sse-browser-entry.js';
import { browserSkip, launch, type LaunchedBrowser, ROOT, sleep, until } from './browser.js';

async function bundle(): Promise<string> {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, 'test', 'clients', 'sse-browser-entry.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['chrome100'],
    logLevel: 'warning',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced nothing');
  return file.text;
}

const stateOf = (page: Page): Promise<SsePageState> => page.evaluate(() => (globalThis as unknown as { sse: { state: SsePageState } }).sse.state);

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly accept: string | undefined;
  readonly origin: string | undefined;
  readonly cookie: boolean;
}

describe('GraphQL over SSE with graphql-sse’s client (Chromium)', { skip: browserSkip() }, () => {
  let server: TestServer;
  let app: AppProxy;
  let chromium: LaunchedBrowser;
  const requests: Seen[] = [];
  // Tessera's answers to stream requests, as the app server forwarded them (a page cannot read a CORS-refused one).
  const answers: { url: string; status: number }[] = [];

  before(async () => {
    const appPort = await freePort();
    const script = bundle();
    [server, chromium] = await Promise.all([startServer({ ALLOWED_ORIGINS: `http://127.0.0.1:${appPort}`, USER_COUNT_INTERVAL_MS: '200' }), launch()]);
    const files = new Map([
      ['/sse.html', ['text/html; charset=utf-8', '<!doctype html><meta charset="utf-8"><title>sse</title><link rel="icon" href="data:,"><script type="module" src="/sse.js"></script>'] as const],
      ['/sse.js', ['text/javascript; charset=utf-8', await script] as const],
    ]);
    app = await startAppProxy(files, server.port, {
      port: appPort,
      onRequest: (request) =>
        void requests.push({
          method: request.method ?? '',
          url: request.url ?? '',
          accept: request.headers.accept,
          origin: request.headers.origin,
          cookie: /tessera_session=/.test(request.headers.cookie ?? ''),
        }),
      onResponse: (request, status) => void answers.push({ url: request.url ?? '', status }),
    });
  });

  after(async () => {
    await chromium?.close();
    await app?.close();
    await server?.close();
  });

  for (const mode of ['distinct', 'single'] as const) {
    test(`${mode === 'single' ? 'single connection' : 'distinct connections'}: register, accountsUserCount over SSE, logout → "session ended" and no reconnect`, async () => {
      const page = await chromium.context.newPage();
      const consoleErrors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      try {
        await page.goto(`${app.url}/sse.html?mode=${mode}`);
        await until('the page script', () => page.evaluate(() => 'sse' in globalThis));
        const first = requests.length;
        await page.evaluate(
          async ({ email }) => {
            const sse = (globalThis as unknown as { sse: { register(e: string, p: string): Promise<unknown>; subscribe(): void } }).sse;
            await sse.register(email, 'correct horse battery');
            sse.subscribe();
          },
          { email: uniqueEmail() },
        );
        await until('two values', async () => (await stateOf(page)).values.length >= 2, 15_000);
        const streams = requests.slice(first).filter((r) => r.accept?.includes('text/event-stream'));
        assert.ok(streams.length >= 1 && streams.every((r) => r.cookie), `the browser sent the cookie with its stream request: ${JSON.stringify(streams)}`);
        if (mode === 'single') assert.ok(requests.slice(first).some((r) => r.method === 'PUT'), 'a reservation was made');
        for (const value of (await stateOf(page)).values) assert.ok(Number.isInteger(value) && value >= 1 && value <= 10);

        const loggedOut = await page.evaluate(() => (globalThis as unknown as { sse: { logout(): Promise<boolean> } }).sse.logout());
        assert.equal(loggedOut, true);
        await until('the stream to end', async () => (await stateOf(page)).ended !== undefined, 10_000);
        const afterEnd = requests.length;
        await sleep(1000);
        const state = await stateOf(page);
        assert.equal(state.ended, 'complete');
        assert.deepEqual(state.errors.at(-1), { message: 'session ended', code: 'UNAUTHENTICATED' });
        assert.equal(requests.length, afterEnd, 'no reconnect after the final event');
        assert.deepEqual(consoleErrors, []);
      } finally {
        await page.close();
      }
    });
  }

  test('a cross-site page cannot open an authenticated stream (same site: 403; other site: no cookie, anonymous; CORS: unreadable)', async () => {
    const own = await chromium.context.newPage();
    await own.goto(`${app.url}/sse.html?mode=distinct`);
    await until('the page script', () => own.evaluate(() => 'sse' in globalThis));
    await own.evaluate(
      async ({ email }) => (globalThis as unknown as { sse: { register(e: string, p: string): Promise<unknown> } }).sse.register(email, 'correct horse battery'),
      { email: uniqueEmail() },
    );
    await own.close();
    const target = `${app.url}/graphql?query=${encodeURIComponent('subscription { accountsUserCount }')}`;
    const foreign: Server[] = [];
    try {
      for (const host of ['127.0.0.1', '127.0.0.2']) {
        const html = '<!doctype html><meta charset="utf-8"><title>Win a prize</title>';
        const page = createServer((_request, response) => void response.writeHead(200, { 'content-type': 'text/html' }).end(html));
        foreign.push(page);
        const port = await freePort(host);
        await new Promise<void>((resolve) => page.listen(port, host, resolve));
        const tab = await chromium.context.newPage();
        await tab.goto(`http://${host}:${port}/`);
        const seenBefore = requests.length;
        const answersBefore = answers.length;
        // Both ways a page opens a stream with the user's cookie: EventSource withCredentials and fetch.
        const outcome = await tab.evaluate(async (url) => {
          const viaEventSource = await new Promise<string>((resolve) => {
            const source = new EventSource(url, { withCredentials: true });
            source.addEventListener('next', (event) => {
              source.close();
              resolve(`read: ${(event as MessageEvent).data}`);
            });
            source.onerror = () => {
              source.close();
              resolve('error');
            };
          });
          let viaFetch: string;
          try {
            const response = await fetch(url, { credentials: 'include', headers: { accept: 'text/event-stream' } });
            viaFetch = `read: ${await response.text()}`;
          } catch (error) {
            viaFetch = `error: ${(error as Error).name}`;
          }
          return { viaEventSource, viaFetch };
        }, target);
        assert.equal(outcome.viaEventSource, 'error', `${host}: EventSource read nothing`);
        assert.match(outcome.viaFetch, /^error/, `${host}: fetch read nothing`);
        const arrived = requests.slice(seenBefore).filter((r) => r.url.startsWith('/graphql?'));
        assert.ok(arrived.length >= 1, `${host}: the requests reached the server`);
        for (const request of arrived) assert.equal(request.origin, `http://${host}:${port}`);
        if (host === '127.0.0.1') {
          // Same site: the Lax cookie rides along, with the foreign Origin: refused before anything runs.
          assert.ok(arrived.every((r) => r.cookie), 'the browser sent the cookie');
          await until('the answers', () => answers.length - answersBefore >= arrived.length);
          const statuses = answers.slice(answersBefore).map((answer) => answer.status);
          assert.ok(statuses.every((status) => status === 403), `403 for each: ${statuses}`);
        } else {
          // Another site: the browser sends no SameSite=Lax cookie; the stream is anonymous (UNAUTHENTICATED), and unreadable anyway.
          assert.ok(arrived.every((r) => !r.cookie), 'no cookie cross-site');
        }
        await tab.close();
      }
    } finally {
      for (const page of foreign) page.close();
    }
  });
});
