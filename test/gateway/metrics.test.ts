/**
 * GET /metrics after a real flow (register, sockets, subscribe, values,
 * refused tickets and upgrades, logout) shows the expected counts, with
 * bounded labels; METRICS=off serves nothing and METRICS=<port> serves it on
 * that port only. Every socket close is one log line with its code and reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { grantAdmin } from '../helpers/admin.js';
import { HttpClient } from '../helpers/http-client.js';
import { RawClient } from '../helpers/ws-client.js';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Parses the Prometheus text format (the sample lines; comments skipped). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels`; 0 when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `one ${name} ${JSON.stringify(labels)}, got ${found.length}`);
  return found[0]?.value ?? 0;
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parse(await response.text());
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds: the server counts a close when its 'close' event fires, a moment after the client's. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('GET /metrics (METRICS=on)', () => {
  let server: TestServer;
  const admin = 'metrics-admin@example.test';
  before(async () => {
    server = await startServer({ METRICS: 'on', AUTH_RATE_LIMIT_PER_EMAIL: '3' });
  });
  after(() => server.close());

  it('counts sockets, subscriptions, deliveries, tickets, refusals, closes, revocations and rate limits of a flow', async () => {
    const empty = await scrape(server.url);
    assert.equal(value(empty, 'tessera_sockets'), 0);
    assert.equal(value(empty, 'tessera_deliveries_total'), 0);
    assert.ok(empty.some((s) => s.name === 'nodejs_eventloop_lag_p99_seconds'), 'event-loop delay is exported');

    const http = new HttpClient(server.url);
    await http.register(admin, 'correct horse battery staple');
    await grantAdmin(server, admin);
    const socket = await RawClient.open(server.wsUrl);
    const ticket = await http.ticket();
    await socket.init({ token: ticket });
    socket.subscribe('count', 'subscription { accountsUserCount }');
    socket.subscribe('news', 'subscription { systemAnnouncements { message } }');
    const anonymous = await RawClient.open(server.wsUrl);
    await anonymous.init();

    // Refused tickets: the spent one again, and garbage.
    const replay = await RawClient.open(server.wsUrl);
    replay.send({ type: 'connection_init', payload: { token: ticket } });
    assert.deepEqual(await replay.waitForClose(), { code: CloseCode.Forbidden, reason: CloseReason.ticketReplayed });
    const garbage = await RawClient.open(server.wsUrl);
    garbage.send({ type: 'connection_init', payload: { token: 'garbage' } });
    assert.deepEqual(await garbage.waitForClose(), { code: CloseCode.Forbidden, reason: CloseReason.ticketMalformed });
    // Refused upgrades: a foreign Origin, another path.
    await assert.rejects(RawClient.open(server.wsUrl, { origin: 'https://evil.example' }), { status: 403 });
    await assert.rejects(RawClient.open(server.wsUrl.replace('/graphql', '/nope')), { status: 404 });

    // Values: two announcements, one subscriber.
    await eventually('both subscriptions', async () => value(await scrape(server.url), 'tessera_subscriptions', { field: 'systemAnnouncements' }) === 1);
    const frames: string[] = [];
    socket.ws.on('message', (data) => frames.push(data.toString()));
    for (const message of ['one', 'two']) {
      const sent = await http.gql('mutation ($m: String!) { systemAnnounce(message: $m) { message } }', { m: message });
      assert.equal(sent.body.errors, undefined, JSON.stringify(sent.body.errors));
    }
    assert.equal((await socket.next((m) => m.id === 'news'))?.payload.data.systemAnnouncements.message, 'one');
    assert.equal((await socket.next((m) => m.id === 'news'))?.payload.data.systemAnnouncements.message, 'two');

    const live = await scrape(server.url);
    assert.equal(value(live, 'tessera_sockets'), 2, 'the signed-in socket and the anonymous one');
    assert.equal(value(live, 'tessera_sockets_authenticated'), 1);
    assert.equal(value(live, 'tessera_subscriptions', { field: 'accountsUserCount' }), 1);
    assert.equal(value(live, 'tessera_subscriptions', { field: 'systemAnnouncements' }), 1);
    assert.equal(value(live, 'tessera_fanout_groups'), 2);
    assert.equal(value(live, 'tessera_events_published_total'), 2);
    assert.equal(value(live, 'tessera_events_received_total'), 2);
    assert.equal(value(live, 'tessera_deliveries_total'), 2);
    assert.equal(value(live, 'tessera_ticket_checks_total', { result: 'ok' }), 1);
    assert.equal(value(live, 'tessera_ticket_checks_total', { result: CloseReason.ticketReplayed }), 1);
    assert.equal(value(live, 'tessera_ticket_checks_total', { result: CloseReason.ticketMalformed }), 1);
    assert.equal(value(live, 'tessera_upgrade_refusals_total', { status: '403' }), 1);
    assert.equal(value(live, 'tessera_upgrade_refusals_total', { status: '404' }), 1);
    assert.equal(value(live, 'tessera_socket_closes_total', { code: '4403', reason: CloseReason.ticketReplayed }), 1);
    assert.equal(value(live, 'tessera_socket_closes_total', { code: '4403', reason: CloseReason.ticketMalformed }), 1);
    // The bytes are exactly those of the `next` frames the client read.
    assert.equal(frames.length, 2);
    assert.equal(value(live, 'tessera_delivery_bytes_total'), frames.reduce((sum, frame) => sum + Buffer.byteLength(frame), 0));

    // Logout closes the socket; the revocation delay is observed once.
    await http.gql('mutation { accountsLogout }');
    assert.deepEqual(await socket.waitForClose(), { code: CloseCode.Unauthorized, reason: CloseReason.sessionEnded });
    // A client's own code and reason are counted as "other": no free text becomes a label.
    anonymous.ws.close(4000, 'user 42 went away');
    await anonymous.waitForClose();
    let done: Sample[] = [];
    await eventually('the closes counted', async () => {
      done = await scrape(server.url);
      return value(done, 'tessera_sockets') === 0;
    });
    assert.equal(value(done, 'tessera_sockets_authenticated'), 0);
    assert.equal(value(done, 'tessera_subscriptions', { field: 'accountsUserCount' }), 0);
    assert.equal(value(done, 'tessera_fanout_groups'), 0);
    assert.equal(value(done, 'tessera_socket_closes_total', { code: '4401', reason: CloseReason.sessionEnded }), 1);
    assert.equal(value(done, 'tessera_socket_closes_total', { code: 'other', reason: 'other' }), 1);
    assert.equal(value(done, 'tessera_revocation_delay_seconds_count'), 1);
    const delay = value(done, 'tessera_revocation_delay_seconds_sum');
    assert.ok(delay >= 0 && delay < 5, `revocation delay ${delay} s`);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.doesNotMatch(text, /user 42|@example\.test|user_count:/, 'no free text, email or topic in a label');

    // Rate limits: the email allows 3 attempts per window (the registration was one).
    let refused = 0;
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const result = await new HttpClient(server.url).login(admin, 'wrong password here');
      if (result.body.errors?.[0]?.extensions?.['code'] === 'RATE_LIMITED') refused += 1;
    }
    assert.equal(refused, 2);
    assert.equal(value(await scrape(server.url), 'tessera_auth_rate_limited_total', { scope: 'email' }), 2);
  });

  it('logs one line per socket close with its code, reason and who closed', async () => {
    const lines = server.logs.map((line) => JSON.parse(line)).filter((line) => line.msg === 'socket closed');
    const replayed = lines.find((line) => line.reason === CloseReason.ticketReplayed);
    assert.equal(replayed?.code, 4403);
    assert.equal(replayed?.by, 'server');
    const ended = lines.find((line) => line.reason === CloseReason.sessionEnded);
    assert.equal(ended?.code, 4401);
    assert.equal(ended?.authenticated, true);
    const own = lines.find((line) => line.code === 4000);
    assert.equal(own?.by, 'client');
    assert.equal(lines.length, 4, 'replayed, malformed, logout, the client’s own');
  });
});

describe('METRICS=off and METRICS=<port>', () => {
  it('METRICS=off (the default) serves no /metrics', async () => {
    const server = await startServer();
    try {
      assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
    } finally {
      await server.close();
    }
  });

  it('METRICS=<port> serves /metrics on that port only, and nothing else there', async () => {
    const port = await freePort();
    const server = await startServer({ METRICS: String(port) });
    try {
      assert.equal(server.tessera.metricsPort, port);
      assert.equal((await fetch(`${server.url}/metrics`)).status, 404, 'not on the main port');
      const samples = await scrape(`http://127.0.0.1:${port}`);
      assert.equal(value(samples, 'tessera_sockets'), 0);
      assert.equal((await fetch(`http://127.0.0.1:${port}/graphql`)).status, 404);
    } finally {
      await server.close();
    }
    await assert.rejects(fetch(`http://127.0.0.1:${port}/metrics`), 'the listener closes with the server');
  });
});
