/**
 * Nothing leaves the machine: every request and socket the demo page and
 * GraphiQL make, while used for real, goes to the server's own origin (no
 * CDN, no fonts, no telemetry). Their headers forbid anything else, and the
 * browser enforces it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from '../helpers/suite.js'; // counts a skipped suite's tests
import type { Response } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server.js';
import { browserSkip, launch, type LaunchedBrowser, nextValues, record, until } from './browser.js';
import { graphiqlReady, openTab, responseText, run } from './graphiql-page.js';

function assertPageHeaders(response: Response | null, server: TestServer): void {
  assert.ok(response !== null);
  const headers = response.headers();
  const csp = headers['content-security-policy'] ?? '';
  const directives = new Map(
    csp.split(';').map((part) => {
      const [name = '', ...values] = part.trim().split(/\s+/);
      return [name, values] as const;
    }),
  );
  assert.deepEqual(directives.get('default-src'), ["'self'"]);
  assert.deepEqual(directives.get('script-src'), ["'self'"]);
  assert.deepEqual(directives.get('connect-src'), ["'self'", server.wsUrl.replace(/\/graphql$/, '')]);
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
  assert.match((directives.get('style-src') ?? []).join(' '), /^'self' 'nonce-[A-Za-z0-9+/]{22}=='$/);
  // No remote origin anywhere in the policy: only 'self', 'none', data:, a nonce and our own socket.
  for (const [name, values] of directives) {
    for (const value of values) {
      const allowed = ["'self'", "'none'", 'data:', server.wsUrl.replace(/\/graphql$/, '')].includes(value) || /^'nonce-/.test(value);
      assert.ok(allowed, `${name} ${value}`);
    }
  }
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['x-frame-options'], 'DENY');
}

describe('no request leaves the machine', { skip: browserSkip() }, () => {
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

  test('the demo page and GraphiQL, used for real, only talk to the server\'s own origin', async () => {
    const everything: string[] = [];
    chromium.context.on('request', (request) => everything.push(request.url()));

    const demo = await chromium.context.newPage();
    const demoSeen = record(demo);
    assertPageHeaders(await demo.goto(server.url), server);
    await demo.getByLabel('Email', { exact: true }).fill('ada@example.com');
    await demo.getByLabel(/^Password/).fill('correct horse battery staple');
    await demo.getByRole('button', { name: 'Register' }).click();
    await until('two values on the demo page', async () => Number(await demo.locator('#count').getAttribute('data-received')) >= 2);

    const graphiql = await chromium.context.newPage();
    const graphiqlSeen = record(graphiql);
    assertPageHeaders(await graphiql.goto(`${server.url}/graphiql`), server);
    await graphiqlReady(graphiql);
    await openTab(graphiql, 'accountsMe');
    await run(graphiql);
    await until('accountsMe in GraphiQL', async () => (await responseText(graphiql)).includes('ada@example.com'));
    await openTab(graphiql, 'accountsUserCount');
    await run(graphiql);
    await until('two values in GraphiQL', () => graphiqlSeen.sockets[0] !== undefined && nextValues(graphiqlSeen.sockets[0], 'accountsUserCount').length >= 2);
    await run(graphiql);
    // A dialog injects a <style> (admitted only by the response's nonce); the docs come from the bundled schema.
    await graphiql.getByRole('button', { name: 'Open settings dialog' }).click();
    await graphiql.getByRole('dialog').waitFor();
    await graphiql.keyboard.press('Escape');
    await graphiql.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await graphiql.locator('.graphiql-doc-explorer', { hasText: 'subscription' }).waitFor();

    const origin = server.url;
    const socketOrigin = server.wsUrl.replace(/\/graphql$/, '');
    for (const [name, seen] of [['demo', demoSeen], ['GraphiQL', graphiqlSeen]] as const) {
      // The recorder saw the page's real traffic (so an empty check below would mean something).
      assert.ok(seen.requests.some((url) => url.endsWith('/graphql')), `${name}: GraphQL requests recorded`);
      assert.ok(seen.requests.some((url) => url.includes('/assets/')), `${name}: assets recorded`);
      assert.ok(seen.sockets.length >= 1, `${name}: socket recorded`);
      for (const url of seen.requests) assert.equal(new URL(url).origin, origin, `${name}: ${url}`);
      for (const socket of seen.sockets) assert.equal(new URL(socket.url).origin, socketOrigin, `${name}: ${socket.url}`);
      assert.deepEqual(seen.failures, [], `${name}: no failed requests`);
      assert.deepEqual(seen.consoleErrors, [], `${name}: no console errors (no CSP violations)`);
    }
    for (const url of everything) assert.equal(new URL(url).origin, origin, `context: ${url}`);

    // And the policy is enforced: script on the page cannot reach another origin.
    const attempt = await demo.evaluate(async () => {
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.violatedDirective} ${event.blockedURI}`));
      const outcome = await fetch('http://127.0.0.2:9/collect').then(
        () => 'sent',
        () => 'blocked',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { outcome, violations };
    });
    assert.equal(attempt.outcome, 'blocked');
    assert.match(attempt.violations.join('\n'), /^connect-src http:\/\/127\.0\.0\.2:9\/collect/);
    assert.ok(!everything.some((url) => url.includes('127.0.0.2')), 'the blocked request never went out');
    await demo.close();
    await graphiql.close();
  });
});
