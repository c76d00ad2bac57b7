/**
 * Cross-Site WebSocket Hijacking, the seed's own warning, tried in a real
 * browser: while the user is signed in to Tessera, a page from another origin
 * opens Tessera's socket (the browser attaches the user's cookie where it may)
 * and subscribes to accountsUserCount. It must get no socket and no data, and
 * it cannot fetch a ticket over HTTP either.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { after, before, describe, test } from '../helpers/suite.js'; // counts a skipped suite's tests
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { browserSkip, launch, type LaunchedBrowser, nextValues, record, until } from './browser.js';

/** The attacker's page: raw WebSocket and fetch, results left in `window.attack`. */
function attackerPage(target: TestServer): string {
  const script = `
    const attack = { opened: false, messages: [], errors: 0, closed: null, ticket: null };
    window.attack = attack;
    const socket = new WebSocket(${JSON.stringify(target.wsUrl)}, 'graphql-transport-ws');
    socket.onopen = () => {
      attack.opened = true;
      socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
      setTimeout(() => socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { accountsUserCount }' } })), 100);
    };
    socket.onmessage = (event) => attack.messages.push(String(event.data));
    socket.onerror = () => { attack.errors += 1; };
    socket.onclose = (event) => { attack.closed = { code: event.code, reason: event.reason }; };
    fetch(${JSON.stringify(`${target.url}/graphql`)}, {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ accountsMe { token } }' }),
    }).then(
      (response) => response.text().then((text) => { attack.ticket = 'read: ' + text; }),
      (error) => { attack.ticket = 'blocked: ' + error.message; },
    );
  `;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Totally harmless</title></head><body><p>Win a prize!</p><script>${script}</script></body></html>`;
}

interface Attack {
  opened: boolean;
  messages: string[];
  errors: number;
  closed: { code: number; reason: string } | null;
  ticket: string | null;
}

interface UpgradeSeen {
  readonly origin: string | undefined;
  readonly withSessionCookie: boolean;
}

async function listen(server: Server, host: string): Promise<string> {
  const port = await freePort(host);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return `http://${host}:${port}`;
}

describe('Cross-Site WebSocket Hijacking', { skip: browserSkip() }, () => {
  let server: TestServer;
  let chromium: LaunchedBrowser;
  const attackers: Server[] = [];
  const upgrades: UpgradeSeen[] = [];

  before(async () => {
    server = await startServer({ USER_COUNT_INTERVAL_MS: '500' });
    // Watch (only watch) every upgrade the server gets: which origin, and whether the victim's cookie came along.
    server.tessera.http.server.on('upgrade', (request: { headers: IncomingHttpHeaders }) => {
      upgrades.push({ origin: request.headers.origin, withSessionCookie: /(^|;\s*)tessera_session=/.test(request.headers.cookie ?? '') });
    });
    chromium = await launch();
  });

  after(async () => {
    await chromium?.close();
    for (const attacker of attackers) attacker.close();
    await server?.close();
  });

  test('a page from another origin gets no socket and no data, even with the signed-in user\'s cookie', async () => {
    // The victim signs in on Tessera's own page and is live.
    const victim = await chromium.context.newPage();
    const victimSeen = record(victim);
    await victim.goto(server.url);
    await victim.getByLabel('Email', { exact: true }).fill('victim@example.com');
    await victim.getByLabel(/^Password/).fill('correct horse battery staple');
    await victim.getByRole('button', { name: 'Register' }).click();
    await victim.locator('#socket-state', { hasText: 'Connected' }).waitFor();
    const victimSocket = await until('the victim socket', () => victimSeen.sockets[0]);
    assert.equal(upgrades.at(-1)?.origin, server.url, 'the victim socket came from the allowed origin');

    // Two attacker origins, both in the same browser (same cookie jar): another port on the same
    // host (same site, so the browser sends the SameSite=Lax cookie), and another host (127.0.0.2).
    for (const host of ['127.0.0.1', '127.0.0.2']) {
      const html = attackerPage(server);
      const attacker = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      });
      attackers.push(attacker);
      const origin = await listen(attacker, host);
      const upgradesBefore = upgrades.length;
      const page = await chromium.context.newPage();
      const seen = record(page);
      await page.goto(`${origin}/`);
      const attack = await until(`the attack from ${origin} to finish`, () =>
        page.evaluate(() => {
          const result = (window as unknown as { attack?: Attack }).attack;
          return result !== undefined && result.closed !== null && result.ticket !== null ? result : undefined;
        }),
      );

      assert.equal(attack.opened, false, `${origin}: the socket never opened`);
      assert.deepEqual(attack.messages, [], `${origin}: no data`);
      assert.equal(attack.closed?.code, 1006, `${origin}: the handshake failed`);
      assert.match(attack.ticket ?? '', /^blocked: /, `${origin}: no ticket over HTTP either (CORS)`);
      const socket = seen.sockets[0];
      assert.ok(socket !== undefined, 'the browser did try');
      assert.deepEqual(socket.received, []);

      // The server saw the attempt and refused it at the upgrade, before any WebSocket existed.
      const attempt = upgrades.slice(upgradesBefore).find((upgrade) => upgrade.origin === origin);
      assert.ok(attempt !== undefined, `the server saw the upgrade from ${origin}`);
      if (host === '127.0.0.1') assert.equal(attempt.withSessionCookie, true, 'same site: the browser did attach the cookie');
      const refusal = server.logs
        .map((line) => JSON.parse(line) as { msg?: string; origin?: string; status?: number })
        .find((line) => line.msg === 'websocket upgrade refused' && line.origin === origin);
      assert.equal(refusal?.status, 403);
      await page.close();
    }

    // The victim's own socket was untouched and still delivers.
    const delivered = nextValues(victimSocket, 'accountsUserCount').length;
    await until('the victim to keep receiving', () => nextValues(victimSocket, 'accountsUserCount').length > delivered);
    assert.equal(victimSocket.closed, false);
    await victim.close();
  });
});
