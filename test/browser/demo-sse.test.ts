/**
 * The demo page's transport toggle in Chromium: with "Server-Sent Events"
 * chosen, the live count and an announcement arrive over one SSE stream (no
 * WebSocket is opened), and logging out ends the stream: the page says why and
 * no more values arrive. The choice is remembered across a reload.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from '../helpers/suite.js'; // counts a skipped suite's tests
import type { Page } from 'playwright-core';
import { grantAdmin } from '../helpers/admin.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { HttpClient } from '../helpers/http-client.js';
import { browserSkip, launch, type LaunchedBrowser, record, sleep, until } from './browser.js';

const PASSWORD = 'correct horse battery staple';

const received = (page: Page): Promise<number> =>
  page.locator('#count').getAttribute('data-received').then((value) => Number(value ?? '0'));

describe('the demo page over Server-Sent Events', { skip: browserSkip() }, () => {
  let chromium: LaunchedBrowser;
  let server: TestServer;

  before(async () => {
    [chromium, server] = await Promise.all([launch({ width: 820, height: 1000 }), startServer({ USER_COUNT_INTERVAL_MS: '300' })]);
  });

  after(async () => {
    await chromium?.close();
    await server?.close();
  });

  test('SSE chosen: values and an announcement arrive over a stream, no socket; logout ends it with the reason', async () => {
    const admin = new HttpClient(server.url);
    const { email } = await admin.register(undefined, PASSWORD);
    await grantAdmin(server, email);
    const page = await chromium.context.newPage();
    const seen = record(page);
    const streams: string[] = [];
    page.on('request', (request) => {
      if ((request.headers()['accept'] ?? '').includes('text/event-stream')) streams.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    try {
      await page.goto(server.url);
      await page.getByLabel('Server-Sent Events').check();
      await page.getByLabel('Email', { exact: true }).fill(email);
      await page.getByLabel(/^Password/).fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.locator('#who', { hasText: 'Signed in as' }).waitFor();
      await until('three values', async () => (await received(page)) >= 3, 15_000);
      assert.ok(streams.length >= 1, 'the page opened an event stream');
      assert.equal(seen.sockets.length, 0, 'no WebSocket');

      await page.getByLabel(/^Announce to everyone/).fill('over SSE');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.locator('#announcements li', { hasText: 'over SSE' }).waitFor();

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.locator('#socket-state', { hasText: 'Stream ended by the server ("session ended")' }).waitFor();
      const stopped = await received(page);
      await sleep(1000);
      assert.equal(await received(page), stopped, 'no values after logout');

      await page.reload();
      assert.equal(await page.getByLabel('Server-Sent Events').isChecked(), true, 'the choice is remembered');
      assert.deepEqual(seen.consoleErrors, []);
    } finally {
      await page.close();
    }
  });
});
