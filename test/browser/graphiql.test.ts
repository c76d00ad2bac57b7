/**
 * GraphiQL at /graphiql in a real browser: the seed's workspace, run the way a
 * person would: register, accountsMe, then accountsUserCount live over the
 * WebSocket with a ticket fetched by the page itself; and the seed's manual
 * flow, a pasted ticket, which works once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from '../helpers/suite.js'; // counts a skipped suite's tests
import { startServer, type TestServer } from '../helpers/server.js';
import { browserSkip, launch, type LaunchedBrowser, nextValues, record, screenshot, sleep, until } from './browser.js';
import { graphiqlReady, openTab, pasteHeaders, responseText, run } from './graphiql-page.js';

interface InitFrame {
  readonly type: string;
  readonly payload?: { readonly token?: string };
}

/** An error in the result pane shows its message and code, never a JavaScript stack. */
function assertNoStack(text: string): void {
  assert.doesNotMatch(text, /\bat \S+ \(|\n\s+at |"stack"/, `no stack frames in the result pane: ${text}`);
}

const initOf = (sent: readonly string[]): InitFrame | undefined =>
  sent.map((frame) => JSON.parse(frame) as InitFrame).find((frame) => frame.type === 'connection_init');

describe('GraphiQL at /graphiql', { skip: browserSkip() }, () => {
  let server: TestServer;
  let chromium: LaunchedBrowser;

  before(async () => {
    server = await startServer({ USER_COUNT_INTERVAL_MS: '500' });
    chromium = await launch();
  });

  after(async () => {
    await chromium?.close();
    await server?.close();
  });

  test('register, run accountsMe, and watch accountsUserCount arrive over a socket the page authenticates itself', async () => {
    const page = await chromium.context.newPage();
    const seen = record(page);
    const ticketRequests: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && (request.postData() ?? '').includes('accountsMe { token }')) ticketRequests.push(request.url());
    });

    await page.goto(`${server.url}/graphiql`);
    await graphiqlReady(page);
    const tabs = await page.locator('.graphiql-tab-button').allTextContents();
    assert.deepEqual(tabs, ['accountsRegister', 'accountsLogin', 'accountsMe', 'accountsUserCount', 'systemAnnouncements', 'accountsLogout']);

    await openTab(page, 'accountsRegister');
    await run(page);
    await until('the registration result', async () => (await responseText(page)).includes('"email": "ada@example.com"'));

    await openTab(page, 'accountsMe');
    await run(page);
    const me = await until('the accountsMe result', async () => {
      const text = await responseText(page);
      return text.includes('"token"') ? (JSON.parse(text) as { data: { accountsMe: { user: { email: string }; token: string } } }) : undefined;
    });
    assert.equal(me.data.accountsMe.user.email, 'ada@example.com');
    const copiedToken = me.data.accountsMe.token;

    // Nothing pasted: the page fetches a ticket over HTTP (with the cookie) and sends it in connection_init.
    await openTab(page, 'accountsUserCount');
    await run(page);
    const socket = await until('a WebSocket', () => seen.sockets[0]);
    assert.equal(socket.url, `${server.wsUrl}`);
    const values = await until('two accountsUserCount values', () => {
      const found = nextValues(socket, 'accountsUserCount');
      return found.length >= 2 ? found : undefined;
    });
    for (const value of values) assert.ok(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 10, `1..10: ${value}`);
    const init = initOf(socket.sent);
    assert.match(init?.payload?.token ?? '', /^t1\./, 'connection_init carries a ticket');
    assert.notEqual(init?.payload?.token, copiedToken, 'a fresh ticket, not one a person copied');
    assert.ok(ticketRequests.length >= 1, 'the ticket came from accountsMe { token } over HTTP');
    assert.ok(!socket.url.includes('token'), 'no ticket in the URL');
    await until('the value in the result pane', async () => /"accountsUserCount": ([1-9]|10)\b/.test(await responseText(page)));

    await screenshot(page, 'graphiql');

    // The stop button ends the subscription; the page's lazy socket closes.
    await run(page);
    await until('the socket to close', () => socket.closed);

    // The seed's manual flow: the token from accountsMe pasted into Headers. It is sent in connection_init, once.
    await pasteHeaders(page, JSON.stringify({ token: copiedToken }));
    await run(page);
    const manual = await until('a second WebSocket', () => seen.sockets[1]);
    await until('two values on the pasted ticket', () => nextValues(manual, 'accountsUserCount').length >= 2);
    assert.equal(initOf(manual.sent)?.payload?.token, copiedToken);
    await run(page);
    await until('the manual socket to close', () => manual.closed);

    // The same ticket again: refused, and GraphiQL says why.
    await run(page);
    const replay = await until('a third WebSocket', () => seen.sockets[2]);
    await until('the refusal in the result pane', async () => (await responseText(page)).includes('4403'));
    const refusal = await responseText(page);
    assert.match(refusal, /4403 ticket already used/);
    assert.match(refusal, /"code": 4403/, 'the close code, as the error code');
    assertNoStack(refusal);
    assert.equal(nextValues(replay, 'accountsUserCount').length, 0);

    // Back to the automatic ticket; then the session ends elsewhere (a logout in another tab):
    // the server closes GraphiQL's socket and the result pane says why.
    await pasteHeaders(page, '{}');
    await run(page);
    const live = await until('a fourth WebSocket', () => seen.sockets[3]);
    await until('a value on the automatic ticket again', () => nextValues(live, 'accountsUserCount').length >= 1);
    const other = await chromium.context.newPage();
    await other.goto(`${server.url}/graphiql`);
    await graphiqlReady(other);
    await openTab(other, 'accountsLogout');
    await run(other);
    await until('the logout result', async () => (await responseText(other)).includes('"accountsLogout": true'));
    await until('the socket to close', () => live.closed);
    await until('the reason in the result pane', async () => (await responseText(page)).includes('4401 session ended'));
    assertNoStack(await responseText(page));
    await other.close();

    // The same in one page, as a person would do it: accountsUserCount runs, then accountsLogout
    // runs in its own tab. GraphiQL stops a subscription when its tab is left; Tessera's fetcher keeps
    // it running there, so the server's close lands in the accountsUserCount tab, not the logout tab.
    await openTab(page, 'accountsLogin');
    await run(page);
    await until('the login result', async () => (await responseText(page)).includes('"accountsLogin"'));
    await openTab(page, 'accountsUserCount');
    await run(page);
    const again = await until('a fifth WebSocket', () => seen.sockets[4]);
    await until('a value', () => nextValues(again, 'accountsUserCount').length >= 1);
    await openTab(page, 'accountsLogout');
    await sleep(300);
    assert.equal(again.closed, false, 'leaving the tab did not stop the subscription');
    const before = nextValues(again, 'accountsUserCount').length;
    await until('a value while another tab is shown', () => nextValues(again, 'accountsUserCount').length > before);
    assert.doesNotMatch(await responseText(page), /accountsUserCount/, 'its values stay out of the logout tab');
    await run(page);
    await until('the logout result in the logout tab', async () => (await responseText(page)).includes('"accountsLogout": true'));
    await until('the socket to close', () => again.closed);
    await sleep(500);
    const logoutPane = await responseText(page);
    assert.doesNotMatch(logoutPane, /4401|session ended/, `the close is not shown in the logout tab: ${logoutPane}`);
    await openTab(page, 'accountsUserCount');
    const ownPane = await until('the close in the subscription’s own tab', async () => {
      const text = await responseText(page);
      return text.includes('4401 session ended') ? text : undefined;
    });
    assert.match(ownPane, /"code": 4401/);
    assert.match(ownPane, /"reason": "session ended"/);
    assertNoStack(ownPane);

    assert.deepEqual(seen.consoleErrors, [], 'no console errors (a CSP violation would show here)');
    await page.close();
  });
});
