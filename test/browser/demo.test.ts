/**
 * The demo page at / in a real browser: log in, watch the live value change,
 * see an announcement arrive, log out and see the socket closed (and why)
 * with no more values; recover by itself after a server restart; fit a phone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from '../helpers/suite.js'; // counts a skipped suite's tests
import type { Page } from 'playwright-core';
import { grantAdmin } from '../helpers/admin.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { browserSkip, launch, type LaunchedBrowser, nextValues, record, screenshot, sleep, until } from './browser.js';

const PASSWORD = 'correct horse battery staple';
const INTERVAL_MS = 500;

async function register(server: TestServer, email: string, name: string): Promise<void> {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation ($email: String!, $password: String!, $name: String) { accountsRegister(email: $email, password: $password, name: $name) { id } }',
      variables: { email, password: PASSWORD, name },
    }),
  });
  const body = (await response.json()) as { errors?: unknown };
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
}

async function logIn(page: Page, email: string): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#who', { hasText: `Signed in as` }).waitFor();
}

/** How many values the page has shown so far. */
const received = (page: Page): Promise<number> =>
  page.locator('#count').getAttribute('data-received').then((value) => Number(value ?? '0'));

const socketState = (page: Page): Promise<string> => page.locator('#socket-state').innerText();

describe('the demo page at /', { skip: browserSkip() }, () => {
  let chromium: LaunchedBrowser;

  before(async () => {
    chromium = await launch({ width: 820, height: 1000 });
  });

  after(async () => {
    await chromium?.close();
  });

  test('log in, see the value change and an announcement arrive, log out: the socket closes, the page says why, no more values', async () => {
    const server = await startServer({ USER_COUNT_INTERVAL_MS: String(INTERVAL_MS) });
    try {
      await register(server, 'grace@example.com', 'Grace');
      await grantAdmin(server, 'grace@example.com');
      const page = await chromium.context.newPage();
      const seen = record(page);
      await page.goto(server.url);
      await page.locator('#who', { hasText: 'not signed in' }).waitFor();
      assert.equal(seen.sockets.length, 0, 'no socket before signing in');

      await logIn(page, 'grace@example.com');
      await page.locator('#socket-state', { hasText: 'Connected' }).waitFor();
      // The value changes: at least two different values shown, one after the other.
      const history = await until('two different values', async () => {
        const values = await page.locator('#history li').allInnerTexts();
        return new Set(values).size >= 2 ? values : undefined;
      });
      for (const value of history) assert.match(value, /^([1-9]|10)$/);
      assert.equal(await page.locator('#count').getAttribute('aria-live'), 'polite');
      assert.equal(await page.locator('#count').innerText(), history[0], 'the big number is the latest value');

      const socket = seen.sockets[0];
      assert.ok(socket !== undefined);
      assert.equal(socket.url, server.wsUrl);
      assert.match(socket.sent[0] ?? '', /^\{"type":"connection_init","payload":\{"token":"t1\./, 'a ticket in connection_init');

      await page.getByLabel(/^Announce to everyone/).fill('Maintenance at noon');
      await page.getByRole('button', { name: 'Send' }).click();
      await page.locator('#announcements li', { hasText: 'Maintenance at noon' }).waitFor();
      await page.locator('#announce-status', { hasText: 'Sent.' }).waitFor();
      await until('three values', async () => (await received(page)) >= 3);

      await screenshot(page, 'demo');

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.locator('#socket-state', { hasText: 'session ended' }).waitFor();
      assert.match(await socketState(page), /Socket closed by the server \(4401 "session ended"\)/);
      await until('the socket to close', () => socket.closed);
      await page.locator('#who', { hasText: 'not signed in' }).waitFor();
      const shown = await received(page);
      const frames = socket.received.length;

      await sleep(INTERVAL_MS * 4);
      assert.equal(await received(page), shown, 'no value shown after logging out');
      assert.equal(socket.received.length, frames, 'no frame received after the close');
      assert.equal(socket.receivedAtClose, frames);
      assert.equal(seen.sockets.length, 1, 'no new socket opened after logging out');
      assert.equal(await page.locator('#count').getAttribute('data-stale'), 'true');
      assert.deepEqual(seen.consoleErrors, []);
      await page.close();
    } finally {
      await server.close();
    }
  });

  test('after a server restart the page reconnects by itself, with a fresh ticket, and values flow again', async () => {
    const env = {
      USER_COUNT_INTERVAL_MS: String(INTERVAL_MS),
      PORT: String(await freePort()),
      DATABASE_URL: join(mkdtempSync(join(tmpdir(), 'tessera-restart-db-')), 'tessera.db'),
      DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-restart-data-')),
    };
    let server = await startServer(env);
    try {
      await register(server, 'alan@example.com', 'Alan');
      const page = await chromium.context.newPage();
      const seen = record(page);
      await page.goto(server.url);
      await logIn(page, 'alan@example.com');
      await until('a value', async () => (await received(page)) >= 1);

      await server.close();
      await page.locator('#socket-state', { hasText: /Connection lost|Reconnecting|Connecting/ }).waitFor();
      const before = await received(page);
      server = await startServer(env);

      await until('values after the restart', async () => (await received(page)) >= before + 2, 20_000);
      assert.match(await socketState(page), /Connected/);
      const [first, last] = [seen.sockets[0], seen.sockets.at(-1)];
      assert.ok(first !== undefined && last !== undefined && first !== last, 'a new socket');
      assert.ok(first.closed);
      const ticketOf = (sent: string[]) => (JSON.parse(sent[0] ?? '{}') as { payload?: { token?: string } }).payload?.token;
      assert.match(ticketOf(last.sent) ?? '', /^t1\./);
      assert.notEqual(ticketOf(last.sent), ticketOf(first.sent), 'a fresh ticket for the new connection');
      assert.ok(nextValues(last, 'accountsUserCount').length >= 2);
      await page.close();
    } finally {
      await server.close();
    }
  });

  test('fits a phone: labelled fields, no sideways scrolling', async () => {
    const server = await startServer();
    try {
      const page = await chromium.context.newPage();
      await page.setViewportSize({ width: 360, height: 740 });
      await page.goto(server.url);
      await page.locator('#who', { hasText: 'not signed in' }).waitFor();
      for (const label of ['Email', 'Password', 'Name']) {
        assert.ok(await page.getByLabel(new RegExp(`^${label}`)).first().isVisible(), `a visible field labelled ${label}`);
      }
      const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: window.innerWidth }));
      assert.ok(widths.page <= widths.viewport, `no horizontal overflow: ${JSON.stringify(widths)}`);
      const button = await page.getByRole('button', { name: 'Log in' }).boundingBox();
      assert.ok(button !== null && button.height >= 44, 'a button big enough to tap');
      await page.close();
    } finally {
      await server.close();
    }
  });
});
