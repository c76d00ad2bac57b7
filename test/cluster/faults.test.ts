/**
 * Faults: Redis restarting in the middle of a stream, the database becoming
 * unreachable, and SIGTERM draining a process.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { clusterServicesSkip, postgres, postgresReachable } from '../helpers/backends.js';
import { HttpClient } from '../helpers/http-client.js';
import { grantAdminIn } from '../helpers/admin.js';
import { spawnTessera, TestRedis } from '../helpers/process.js';
import { startServer, TEST_TICKET_SECRET } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { RawClient } from '../helpers/ws-client.js';

const skip = await clusterServicesSkip();
const ADMIN = 'admin@example.test';

describe('when Redis restarts in the middle of a stream', { skip }, () => {
  it('the processes reconnect, resubscribe and go on delivering, without crashing', async () => {
    const redis = await TestRedis.start();
    const database = await postgres.create();
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      TICKET_SECRETS: TEST_TICKET_SECRET,
    };
    const a = await spawnTessera(env);
    const b = await spawnTessera(env);
    try {
      const admin = new HttpClient(a.url);
      await admin.register(ADMIN);
      await grantAdminIn(database.url, ADMIN);
      const user = new HttpClient(b.url);
      await user.register();
      const socket = await RawClient.open(b.wsUrl);
      await socket.init({ token: await user.ticket() });
      socket.subscribe('1', 'subscription { systemAnnouncements { message } }');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const announce = (message: string) =>
        admin.gql('mutation ($m: String!) { systemAnnounce(message: $m) { id } }', { m: message });
      assert.equal((await announce('before')).body.errors, undefined);
      assert.equal((await socket.next((m) => m.type === 'next')).payload.data.systemAnnouncements.message, 'before');

      assert.equal((await fetch(`${a.url}/readyz`)).status, 200);
      await redis.stop();
      assert.equal((await fetch(`${a.url}/readyz`)).status, 503, 'not ready without Redis');
      const during = await announce('during the outage');
      assert.equal(during.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE', 'a publish during the outage fails clearly');
      await redis.start();

      // Reconnect (capped backoff, 2 s at most) and resubscribe, then the stream goes on.
      const deadline = Date.now() + 10_000;
      let delivered = false;
      while (!delivered && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        if ((await announce('after')).body.errors !== undefined) continue;
        delivered = (await socket.next((m) => m.type === 'next', 1000).catch(() => undefined)) !== undefined;
      }
      assert.ok(delivered, 'an announcement made after the restart reaches the subscriber on the other process');
      assert.equal((await fetch(`${a.url}/readyz`)).status, 200, 'ready again');
      assert.equal(a.child.exitCode, null, 'A is still running');
      assert.equal(b.child.exitCode, null, 'B is still running');
      socket.close();
    } finally {
      await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
      await redis.stop();
      await database.drop();
    }
  });
});

describe('when the database becomes unreachable', { skip: (await postgresReachable()) ? false : 'PostgreSQL unreachable' }, () => {
  it('HTTP answers 503 SERVICE_UNAVAILABLE and existing sockets keep receiving', async () => {
    const database = await postgres.create();
    const target = new URL(database.url);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(database.url);
    viaProxy.port = String(proxy.port);
    const server = await startServer({ DATABASE_URL: viaProxy.toString() });
    try {
      const user = new HttpClient(server.url);
      await user.register();
      const socket = await RawClient.open(server.wsUrl);
      await socket.init({ token: await user.ticket() });
      socket.subscribe('1', 'subscription { systemAnnouncements { message } }');
      await new Promise((resolve) => setTimeout(resolve, 50));

      assert.equal((await fetch(`${server.url}/readyz`)).status, 200, 'ready while the database answers');
      await proxy.cut();
      assert.equal((await fetch(`${server.url}/readyz`)).status, 503, 'not ready without the database');
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'but alive');
      const response = await user.gql('{ accountsMe { user { email } } }');
      assert.equal(response.status, 503);
      assert.equal(response.body.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE');
      assert.doesNotMatch(JSON.stringify(response.body), /ECONNREFUSED|select|postgres/i, 'no driver or SQL text');

      // A new socket whose ticket cannot be checked now is told to retry (1013), not failed for good (4500).
      const ticketBeforeCut = await (async () => {
        await proxy.open();
        try {
          return await user.ticket();
        } finally {
          await proxy.cut();
        }
      })();
      const late = await RawClient.open(server.wsUrl);
      late.send({ type: 'connection_init', payload: { token: ticketBeforeCut } });
      assert.deepEqual(await late.waitForClose(10_000), { code: 1013, reason: 'service temporarily unavailable: try again' });

      await server.tessera.services.publisher.publish('system_announcements', {
        id: '1',
        message: 'still here',
        createdAt: new Date().toISOString(),
      });
      const next = await socket.next((m) => m.type === 'next');
      assert.equal(next.payload.data.systemAnnouncements.message, 'still here');
      socket.close();
    } finally {
      await proxy.open().catch(() => {}); // so that closing can drop the test database
      await server.close();
      await proxy.cut();
    }
  });
});

describe('on SIGTERM', { skip: false }, () => {
  it('stops accepting, closes sockets with 1001, finishes in-flight requests and exits 0', async () => {
    const tessera = await spawnTessera({ DATABASE_URL: `/tmp/tessera-sigterm-${randomBytes(4).toString('hex')}.db` });
    const user = new HttpClient(tessera.url);
    const { email, password } = await user.register();
    const socket = await RawClient.open(tessera.wsUrl);
    await socket.init({ token: await user.ticket() });

    const inFlight = new HttpClient(tessera.url).login(email, password); // argon2: tens of ms
    await new Promise((resolve) => setTimeout(resolve, 5));
    tessera.child.kill('SIGTERM');
    const [closed, login, exit] = await Promise.all([socket.waitForClose(), inFlight, tessera.exited]);
    assert.deepEqual(closed, { code: 1001, reason: 'server shutting down' });
    assert.equal(login.status, 200);
    assert.equal(login.body.errors, undefined, 'the in-flight login completed');
    assert.deepEqual(exit, { code: 0, signal: null });
    await assert.rejects(fetch(`${tessera.url}/healthz`), 'no longer accepting');
  });
});

