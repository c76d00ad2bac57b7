/**
 * GraphQL over SSE across real Tessera processes on PostgreSQL and Redis: a
 * stream on one node gets the events published on another with ids from the
 * Redis resumption log, so a client dropped from one node resumes with
 * Last-Event-ID on another node and loses nothing; and a logout on one node
 * ends a stream on another with "session ended".
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { clusterServicesSkip, postgres, REDIS_URL } from '../helpers/backends.js';
import { grantAdminIn } from '../helpers/admin.js';
import { HttpClient, uniqueEmail } from '../helpers/http-client.js';
import { spawnTessera, type TesseraProcess } from '../helpers/process.js';
import { TEST_TICKET_SECRET } from '../helpers/server.js';
import { messagesOf, readStream } from '../helpers/sse-stream.js';

const skip = await clusterServicesSkip();
const ANNOUNCEMENTS = 'subscription { systemAnnouncements { message } }';

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

describe('GraphQL over SSE on two processes sharing PostgreSQL and Redis', { skip }, () => {
  let nodes: TesseraProcess[] = [];
  let dropDatabase: () => Promise<void> = async () => {};
  let databaseUrl = '';

  before(async () => {
    const database = await postgres.create();
    dropDatabase = database.drop;
    databaseUrl = database.url;
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: `test-${randomBytes(4).toString('hex')}:`,
      TICKET_SECRETS: TEST_TICKET_SECRET,
      USER_COUNT_INTERVAL_MS: '0',
    };
    nodes.push(await spawnTessera(env));
    nodes.push(await spawnTessera(env));
  });

  after(async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await dropDatabase();
  });

  it('events published on A reach a stream on B with Redis ids; dropped from B, resumed on A with Last-Event-ID, nothing lost; logout on A ends a stream on B', { timeout: 60_000 }, async () => {
    const [a, b] = nodes as [TesseraProcess, TesseraProcess];
    const admin = new HttpClient(a.url);
    const email = uniqueEmail();
    await admin.register(email);
    await grantAdminIn(databaseUrl, email);
    const announce = async (message: string) => {
      const result = await admin.gql('mutation ($m: String!) { systemAnnounce(message: $m) { id } }', { m: message });
      assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
    };
    const reader = new HttpClient(a.url);
    await reader.register();

    const onB = await readStream(`${b.url}/graphql`, ANNOUNCEMENTS, { authorization: `Bearer ${await reader.ticket()}` });
    await sleep(300); // B subscribes its topic on Redis
    await announce('c1');
    await announce('c2');
    await until('two events on B', () => onB.events.length >= 2);
    assert.deepEqual(messagesOf(onB.events), ['c1', 'c2']);
    assert.ok(onB.events.every((event) => /^\d+-\d+$/.test(event.id ?? '')), `Redis Stream ids: ${onB.events.map((e) => e.id)}`);
    onB.drop();
    await announce('c3');
    await announce('c4');
    const onA = await readStream(`${a.url}/graphql`, ANNOUNCEMENTS, { authorization: `Bearer ${await reader.ticket()}`, 'last-event-id': onB.events[1]?.id as string });
    await until('the missed events on A', () => onA.events.length >= 2);
    await announce('c5');
    await until('the live one', () => onA.events.length >= 3);
    await sleep(200);
    assert.deepEqual(messagesOf(onA.events), ['c3', 'c4', 'c5'], 'in order, none lost, none twice');
    onA.drop();

    const again = await readStream(`${b.url}/graphql`, ANNOUNCEMENTS, { authorization: `Bearer ${await reader.ticket()}` });
    const logout = await reader.gql('mutation { accountsLogout }');
    assert.equal(logout.body.data?.accountsLogout, true);
    await until('the stream on B to end', () => again.ended());
    assert.deepEqual(messagesOf(again.events).at(-1), 'UNAUTHENTICATED');
    assert.equal(again.events.at(-1)?.data.errors?.[0]?.message, 'session ended');
  });
});
