/**
 * Several real Tessera processes on different ports, sharing the machine's
 * PostgreSQL and Redis: events, revocations, single-use tickets and the
 * user-count worker's lease all work across processes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { clusterServicesSkip, postgres, REDIS_URL } from '../helpers/backends.js';
import { grantAdminIn } from '../helpers/admin.js';
import { HttpClient } from '../helpers/http-client.js';
import { spawnTessera, type TesseraProcess } from '../helpers/process.js';
import { TEST_TICKET_SECRET } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';
import { Redis } from 'ioredis';

const skip = await clusterServicesSkip();
const INTERVAL_MS = 400;
const ADMIN = `admin-${randomBytes(4).toString('hex')}@example.test`;

describe('a cluster of three processes on PostgreSQL and Redis', { skip }, () => {
  let nodes: TesseraProcess[] = [];
  let dropDatabase: () => Promise<void> = async () => {};
  let databaseUrl = '';
  const prefix = `test-${randomBytes(4).toString('hex')}:`;

  before(async () => {
    const database = await postgres.create();
    dropDatabase = database.drop;
    databaseUrl = database.url;
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      TICKET_SECRETS: TEST_TICKET_SECRET,
      USER_COUNT_INTERVAL_MS: String(INTERVAL_MS),
    };
    // One first, so that it runs the migrations alone; then the others.
    nodes.push(await spawnTessera(env));
    nodes.push(...(await Promise.all([spawnTessera(env), spawnTessera(env)])));
  });

  after(async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await dropDatabase();
  });

  async function signedIn(node: TesseraProcess, email?: string): Promise<HttpClient> {
    const client = new HttpClient(node.url);
    await client.register(email);
    return client;
  }

  async function subscribed(node: TesseraProcess, ticket: string, query: string): Promise<RawClient> {
    const socket = await RawClient.open(node.wsUrl);
    await socket.init({ token: ticket });
    socket.subscribe('1', query);
    return socket;
  }

  it('delivers to a subscriber on B what is published on A', async () => {
    const [a, b] = nodes as [TesseraProcess, TesseraProcess];
    const admin = await signedIn(a, ADMIN);
    await grantAdminIn(databaseUrl, ADMIN);
    const listener = await signedIn(b);
    const socket = await subscribed(b, await listener.ticket(), 'subscription { systemAnnouncements { message } }');
    await new Promise((resolve) => setTimeout(resolve, 200)); // B's SUBSCRIBE reaches Redis
    const announced = await admin.gql('mutation { systemAnnounce(message: "hello from A") { id } }');
    assert.equal(announced.body.errors, undefined);
    const next = await socket.next((m) => m.type === 'next');
    assert.deepEqual(next.payload, { data: { systemAnnouncements: { message: 'hello from A' } } });
    socket.close();
  });

  it("subscribes a Redis channel while a process has local subscribers, and drops it after the last one leaves", async () => {
    const [, , c] = nodes as [TesseraProcess, TesseraProcess, TesseraProcess];
    const user = await signedIn(c);
    const me = await user.gql('{ accountsMe { user { id } } }');
    const channel = `${prefix}topic:user_count:${me.body.data.accountsMe.user.id}`;
    const redis = new Redis(REDIS_URL);
    try {
      const subscribers = async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);
      assert.equal(await subscribers(), 0);
      const first = await subscribed(c, await user.ticket(), 'subscription { accountsUserCount }');
      const second = await subscribed(c, await user.ticket(), 'subscription { accountsUserCount }');
      await first.next((m) => m.type === 'next');
      assert.equal(await subscribers(), 1, 'one Redis subscription for the process, however many local subscribers');
      first.close();
      await first.closed;
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await subscribers(), 1, 'kept while a local subscriber remains');
      second.close();
      await second.closed;
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await subscribers(), 0, 'dropped after the last one left');
    } finally {
      redis.disconnect();
    }
  });

  it('closes the socket on B within 250 ms of a logout on A', async () => {
    const [a, b] = nodes as [TesseraProcess, TesseraProcess];
    const user = await signedIn(a);
    const onB = new HttpClient(b.url);
    for (const [name, value] of user.cookies) onB.cookies.set(name, value);
    const socket = await subscribed(b, await onB.ticket(), 'subscription { accountsUserCount }');
    await socket.next((m) => m.type === 'next'); // live
    const response = await user.gql('mutation { accountsLogout }');
    const loggedOutAt = Date.now();
    assert.equal(response.body.data.accountsLogout, true);
    const closed = await socket.waitForClose(2000);
    const delay = Date.now() - loggedOutAt;
    console.log(`# logout on A closed the socket on B ${delay} ms after the mutation's response`);
    assert.equal(closed.code, 4401);
    assert.equal(closed.reason, 'session ended');
    assert.ok(delay < 250, `closed after ${delay} ms`);
  });

  it('refuses on B a ticket already used on A', async () => {
    const [a, b] = nodes as [TesseraProcess, TesseraProcess];
    const user = await signedIn(a);
    const ticket = await user.ticket();
    const first = await RawClient.open(a.wsUrl);
    await first.init({ token: ticket });
    const second = await RawClient.open(b.wsUrl);
    second.send({ type: 'connection_init', payload: { token: ticket } });
    const closed = await second.waitForClose();
    assert.deepEqual(closed, { code: 4403, reason: 'ticket already used' });
    first.close();
  });

  it('gives a user with sockets on two processes the same value on both in each tick', async () => {
    const [a, b] = nodes as [TesseraProcess, TesseraProcess];
    const user = await signedIn(a);
    const onB = new HttpClient(b.url);
    for (const [name, value] of user.cookies) onB.cookies.set(name, value);
    const sockets = [await subscribed(a, await user.ticket(), 'subscription { accountsUserCount }'), await subscribed(b, await onB.ticket(), 'subscription { accountsUserCount }')];
    await Promise.all(sockets.map((socket) => socket.next((m) => m.type === 'next', INTERVAL_MS * 6)));
    // Arrivals from now on, with their times: a tick reaches both processes within a few ms of each other.
    const arrivals = sockets.map((socket) => {
      const seen: { at: number; value: number }[] = [];
      socket.ws.on('message', (data) => {
        const message = JSON.parse(data.toString());
        if (message.type === 'next') seen.push({ at: Date.now(), value: message.payload.data.accountsUserCount });
      });
      return seen;
    });
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 8));
    const [onA, onBs] = arrivals as [{ at: number; value: number }[], { at: number; value: number }[]];
    const pairs = onA.flatMap((x) => {
      const y = onBs.find((candidate) => Math.abs(candidate.at - x.at) < INTERVAL_MS / 2);
      return y === undefined ? [] : [[x.value, y.value] as const];
    });
    console.log(`# ${pairs.length} ticks seen on both processes: ${pairs.map(([x, y]) => `${x}/${y}`).join(' ')}`);
    assert.ok(pairs.length >= 5, `${pairs.length} ticks paired of ${onA.length} on A and ${onBs.length} on B`);
    for (const [x, y] of pairs) {
      assert.ok(Number.isInteger(x) && x >= 1 && x <= 10, `value ${x} in 1..10`);
      assert.equal(x, y, 'the same value on both processes in one tick');
    }
    assert.ok(new Set(pairs.map(([x]) => x)).size >= 2, 'the value changes between ticks');
    for (const socket of sockets) socket.close();
  });

  it('ticks the user-count worker once per interval across the cluster, and fails over when its holder dies', async () => {
    const holderPid = await (async () => {
      for (;;) {
        const line = nodes.flatMap((node) => node.logs).find((l) => l.msg === 'user-count worker lease taken');
        if (line !== undefined) return line.pid as number;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const holder = nodes.find((node) => node.child.pid === holderPid);
    assert.ok(holder !== undefined, 'the lease holder is one of the nodes');
    const other = nodes.find((node) => node !== holder) as TesseraProcess;
    const user = await signedIn(other);
    const socket = await subscribed(other, await user.ticket(), 'subscription { accountsUserCount }');

    const arrivals: number[] = [];
    const collect = async (count: number) => {
      while (arrivals.length < count) {
        const message = await socket.next((m) => m.type === 'next', INTERVAL_MS * 6);
        const value = message.payload.data.accountsUserCount;
        assert.ok(Number.isInteger(value) && value >= 1 && value <= 10, `value ${value} in 1..10`);
        arrivals.push(Date.now());
      }
    };
    await collect(1);
    const windowStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS * 5));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const inWindow = socket.messages.filter((m) => m.type === 'next').length;
    console.log(`# ${inWindow} values in ${Date.now() - windowStart} ms at a ${INTERVAL_MS} ms interval with 3 processes`);
    assert.ok(inWindow >= 4 && inWindow <= 6, `expected about 5 values (one per interval), got ${inWindow}`);
    await collect(arrivals.length + inWindow);

    holder.child.kill('SIGKILL');
    const killedAt = Date.now();
    await holder.exited;
    nodes = nodes.filter((node) => node !== holder);
    await collect(arrivals.length + 1);
    const gap = (arrivals.at(-1) as number) - killedAt;
    console.log(`# after the lease holder was killed, the next value came ${gap} ms later (interval ${INTERVAL_MS} ms)`);
    assert.ok(gap <= INTERVAL_MS * 2 + 200, `takeover took ${gap} ms`);
    socket.close();
  });
});
