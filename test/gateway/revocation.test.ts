/**
 * Revocation: logout, logout-all, password change and session expiry close
 * the affected sockets with 4401 and the reason, and leave the others alone.
 * Each test prints the measured delay; the bound asserted is deliberately loose.
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test, type TestContext } from 'node:test';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const BOUND_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A socket with the moment its close event fired. */
interface Watched {
  readonly client: RawClient;
  closedAt: number | undefined;
}

async function socketFor(server: TestServer, http: HttpClient): Promise<Watched> {
  const client = await RawClient.open(server.wsUrl);
  await client.init({ token: await http.ticket() });
  client.subscribe('counts', 'subscription { accountsUserCount }');
  const watched: Watched = { client, closedAt: undefined };
  client.ws.once('close', () => (watched.closedAt = performance.now()));
  return watched;
}

/** The same user signed in twice (two sessions), and someone else. */
async function twoSessions(server: TestServer) {
  const here = new HttpClient(server.url);
  const { email, password } = await here.register();
  const there = new HttpClient(server.url);
  assert.equal((await there.login(email, password)).body.errors, undefined);
  const stranger = new HttpClient(server.url);
  await stranger.register();
  return { here, there, stranger, password };
}

async function stillOpen(sockets: Watched[]): Promise<void> {
  await sleep(100);
  for (const socket of sockets) assert.equal(socket.client.ws.readyState, socket.client.ws.OPEN, 'socket stays open');
}

function report(t: TestContext, what: string, delays: number[], from = "the mutation's response"): void {
  const text = `${what}: close ${delays.map((d) => `${d.toFixed(1)} ms`).join(', ')} after ${from}`;
  t.diagnostic(text);
  console.log(`[revocation delay] ${text}`);
}

/** Runs the mutation, waits for these sockets to close with 4401 `reason`, resolves delays from the response. */
async function revokeAndMeasure(run: () => Promise<unknown>, closing: Watched[], reason: string): Promise<number[]> {
  await run();
  const answered = performance.now();
  for (const socket of closing) {
    assert.deepEqual(await socket.client.waitForClose(BOUND_MS * 5), { code: CloseCode.Unauthorized, reason });
  }
  return closing.map((socket) => (socket.closedAt as number) - answered);
}

describe('revocation closes the sockets of ended sessions', () => {
  let server: TestServer;
  const all: Watched[] = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const socket of all) socket.client.close();
    await server.close();
  });

  test('logout closes every socket of that session with 4401 "session ended"; other sessions’ sockets stay', async (t) => {
    const { here, there, stranger } = await twoSessions(server);
    const mine = [await socketFor(server, here), await socketFor(server, here)];
    const cookieSocket = await RawClient.open(server.wsUrl, { headers: { cookie: here.cookieHeader as string }, origin: server.url });
    await cookieSocket.init();
    const cookieWatched: Watched = { client: cookieSocket, closedAt: undefined };
    cookieSocket.ws.once('close', () => (cookieWatched.closedAt = performance.now()));
    const others = [await socketFor(server, there), await socketFor(server, stranger)];
    all.push(...mine, cookieWatched, ...others);
    const delays = await revokeAndMeasure(
      () => here.gql('mutation { accountsLogout }'),
      [...mine, cookieWatched],
      CloseReason.sessionEnded,
    );
    report(t, 'logout', delays);
    for (const delay of delays) assert.ok(delay < BOUND_MS, `closed ${delay} ms after the response`);
    await stillOpen(others);
  });

  test('logout-all closes the sockets of every session of the user; another user’s stay', async (t) => {
    const { here, there, stranger } = await twoSessions(server);
    const mine = [await socketFor(server, here), await socketFor(server, there)];
    const others = [await socketFor(server, stranger)];
    all.push(...mine, ...others);
    const delays = await revokeAndMeasure(() => here.gql('mutation { accountsLogoutAll }'), mine, CloseReason.sessionEnded);
    report(t, 'logout-all', delays);
    for (const delay of delays) assert.ok(delay < BOUND_MS, `closed ${delay} ms after the response`);
    await stillOpen(others);
  });

  test('a password change closes the other sessions’ sockets; this session’s socket stays', async (t) => {
    const { here, there, password } = await twoSessions(server);
    const mine = [await socketFor(server, here)];
    const theirs = [await socketFor(server, there), await socketFor(server, there)];
    all.push(...mine, ...theirs);
    const delays = await revokeAndMeasure(
      async () => {
        const changed = await here.gql('mutation ($c: String!, $n: String!) { accountsChangePassword(currentPassword: $c, newPassword: $n) }', {
          c: password,
          n: 'a new and long passphrase',
        });
        assert.deepEqual(changed.body, { data: { accountsChangePassword: true } });
      },
      theirs,
      CloseReason.sessionEnded,
    );
    report(t, 'password change', delays);
    for (const delay of delays) assert.ok(delay < BOUND_MS, `closed ${delay} ms after the response`);
    await stillOpen(mine);
    // The socket that stayed still works.
    await server.tessera.services.publisher.publish(`user_count:${(await here.gql('{ accountsMe { user { id } } }')).body.data.accountsMe.user.id}`, 7);
    assert.equal((await mine[0]!.client.next((m) => m.id === 'counts')).payload.data.accountsUserCount, 7);
  });

  test('a socket whose session ended while its connection_init was being checked does not survive', async () => {
    const { here } = await twoSessions(server);
    const ticket = await here.ticket();
    await here.gql('mutation { accountsLogout }');
    const client = await RawClient.open(server.wsUrl);
    client.send({ type: 'connection_init', payload: { token: ticket } });
    assert.deepEqual(await client.waitForClose(), { code: CloseCode.Unauthorized, reason: CloseReason.sessionEnded });
  });
});

describe('session expiry closes sockets with 4401 "session expired"', () => {
  test('absolute expiry (SESSION_ABSOLUTE_TTL_SECONDS=2) closes the socket when the session expires, use or not', async (t) => {
    const server = await startServer({ SESSION_ABSOLUTE_TTL_SECONDS: '2' });
    try {
      const http = new HttpClient(server.url);
      await http.register();
      const socket = await socketFor(server, http);
      const sessions = await http.gql('{ accountsSessions { expiresAt current } }');
      const expiresAt = Date.parse(sessions.body.data.accountsSessions.find((s: { current: boolean }) => s.current).expiresAt);
      const wallAtMeasure = Date.now() - performance.now();
      assert.deepEqual(await socket.client.waitForClose(5000), { code: CloseCode.Unauthorized, reason: CloseReason.sessionExpired });
      const delay = wallAtMeasure + (socket.closedAt as number) - expiresAt;
      report(t, 'absolute expiry', [delay], 'the session’s expiresAt');
      assert.ok(delay >= -50 && delay < BOUND_MS, `closed ${delay} ms after expiry`);
    } finally {
      await server.close();
    }
  });

  test('idle expiry (SESSION_IDLE_TTL_SECONDS=2): use over HTTP keeps the socket open; once idle, it closes when the session expires', async (t) => {
    const server = await startServer({ SESSION_IDLE_TTL_SECONDS: '2' });
    try {
      const http = new HttpClient(server.url);
      await http.register();
      const socket = await socketFor(server, http);
      const until = Date.now() + 2600;
      while (Date.now() < until) {
        await http.gql('{ accountsMe { user { id } } }');
        await sleep(250);
      }
      assert.equal(socket.closedAt, undefined, 'still open after 2.6 s of use with a 2 s idle TTL');
      const sessions = await http.gql('{ accountsSessions { expiresAt current } }');
      const expiresAt = Date.parse(sessions.body.data.accountsSessions.find((s: { current: boolean }) => s.current).expiresAt);
      const wallAtMeasure = Date.now() - performance.now();
      assert.deepEqual(await socket.client.waitForClose(5000), { code: CloseCode.Unauthorized, reason: CloseReason.sessionExpired });
      const delay = wallAtMeasure + Number(socket.closedAt) - expiresAt;
      report(t, 'idle expiry', [delay], 'the session’s expiresAt');
      assert.ok(delay >= -50, `not before the session expired (${delay} ms)`);
      assert.ok(delay < BOUND_MS, `closed ${delay} ms after expiry`);
    } finally {
      await server.close();
    }
  });
});
