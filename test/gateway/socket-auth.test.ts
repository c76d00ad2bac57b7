/**
 * Socket authentication by ticket: a good ticket is acknowledged once; every
 * bad one is refused with 4403 (a bad ticket) or 4401 (the session is over) and the reason that says which check failed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';
import { signTicket } from '../../src/tickets/ticket.js';
import { HttpClient } from '../helpers/http-client.js';
import { startServer, TEST_TICKET_SECRET, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a socket, sends connection_init with this payload, resolves the close (or 'ack'). */
async function initWith(server: TestServer, payload: Record<string, unknown>): Promise<'ack' | { code: number; reason: string }> {
  const client = await RawClient.open(server.wsUrl);
  client.send({ type: 'connection_init', payload });
  const answer = await client.next((m) => m.type === 'connection_ack');
  if (answer !== undefined) {
    client.close();
    return 'ack';
  }
  return client.waitForClose();
}

const refused = (reason: string) => ({ code: CloseCode.Forbidden, reason });
/** A session that is over is final: 4401, which graphql-ws's client does not retry. */
const over = (reason: string) => ({ code: CloseCode.Unauthorized, reason });

function claimsOf(ticket: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(ticket.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

describe('socket tickets (TICKET_TTL_SECONDS=1)', () => {
  let server: TestServer;
  let user: HttpClient;
  let userId: string;
  before(async () => {
    server = await startServer({ TICKET_TTL_SECONDS: '1' });
    user = new HttpClient(server.url);
    userId = (await user.register()).id;
  });
  after(() => server.close());

  test('a fresh ticket in the connection_init payload is acknowledged and names the user', async () => {
    const client = await RawClient.open(server.wsUrl);
    await client.init({ token: await user.ticket() });
    client.subscribe('me', '{ accountsMe { user { id } } }');
    assert.deepEqual((await client.next((m) => m.id === 'me')).payload, { data: { accountsMe: { user: { id: userId } } } });
    client.close();
  });

  test('every accountsMe read issues a different ticket', async () => {
    assert.notEqual(await user.ticket(), await user.ticket());
  });

  test('4403 "ticket malformed": not three dot-separated parts, a wrong version, or not a string', async () => {
    for (const token of ['nonsense', 'a.b', 't2.e30.AAAA', 't1.e30.AAAA.extra', 42, { sid: 'x' }, 'x'.repeat(5000)]) {
      assert.deepEqual(await initWith(server, { token }), refused(CloseReason.ticketMalformed), `token ${JSON.stringify(token).slice(0, 40)}`);
    }
  });

  test('4403 "ticket signature invalid": claims changed after signing (another user id)', async () => {
    const ticket = await user.ticket();
    const [version, , mac] = ticket.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claimsOf(ticket), uid: 'someone-else' })).toString('base64url');
    assert.deepEqual(await initWith(server, { token: `${version}.${forged}.${mac}` }), refused(CloseReason.ticketBadSignature));
  });

  test('4403 "ticket signature invalid": a changed signature, or one made with a secret the server does not hold', async () => {
    const ticket = await user.ticket();
    const last = ticket.at(-2) === 'A' ? 'B' : 'A';
    const flipped = `${ticket.slice(0, -2)}${last}${ticket.slice(-1)}`;
    assert.deepEqual(await initWith(server, { token: flipped }), refused(CloseReason.ticketBadSignature));
    const claims = claimsOf(await user.ticket());
    const foreign = signTicket({ sessionId: String(claims['sid']), userId }, 'another-secret-0123456789abcdef0123456789', Date.now(), 60);
    assert.deepEqual(await initWith(server, { token: foreign }), refused(CloseReason.ticketBadSignature));
  });

  test('4403 "ticket expired": a ticket used after TICKET_TTL_SECONDS', async () => {
    const ticket = await user.ticket();
    await sleep(1100);
    assert.deepEqual(await initWith(server, { token: ticket }), refused(CloseReason.ticketExpired));
  });

  test('4403 "ticket already used": a ticket works once', async () => {
    const ticket = await user.ticket();
    assert.equal(await initWith(server, { token: ticket }), 'ack');
    assert.deepEqual(await initWith(server, { token: ticket }), refused(CloseReason.ticketReplayed));
  });

  test('4403 "ticket already used": of two sockets racing with one ticket, exactly one is acknowledged', async () => {
    const ticket = await user.ticket();
    const answers = await Promise.all([initWith(server, { token: ticket }), initWith(server, { token: ticket })]);
    assert.deepEqual(answers.filter((a) => a === 'ack').length, 1);
    assert.deepEqual(answers.find((a) => a !== 'ack'), refused(CloseReason.ticketReplayed));
  });

  test('4401 "session ended": a ticket issued before logout', async () => {
    const other = new HttpClient(server.url);
    await other.register();
    const ticket = await other.ticket();
    await other.gql('mutation { accountsLogout }');
    assert.deepEqual(await initWith(server, { token: ticket }), over(CloseReason.sessionEnded));
  });

  test('4401 "session ended": a correctly signed ticket for a session that never existed, or for another user', async () => {
    const now = Date.now();
    const unknown = signTicket({ sessionId: 'no-such-session', userId }, TEST_TICKET_SECRET, now, 60);
    assert.deepEqual(await initWith(server, { token: unknown }), over(CloseReason.sessionEnded));
    const sid = String(claimsOf(await user.ticket())['sid']);
    const mismatched = signTicket({ sessionId: sid, userId: 'another-user' }, TEST_TICKET_SECRET, now, 60);
    assert.deepEqual(await initWith(server, { token: mismatched }), over(CloseReason.sessionEnded));
  });

  test('4401 "session ended": the ticket of a user deleted from the store (its sessions go with it)', async () => {
    const doomed = new HttpClient(server.url);
    const { id } = await doomed.register();
    const ticket = await doomed.ticket();
    await server.tessera.store.db.deleteFrom('users').where('id', '=', id).execute();
    assert.deepEqual(await initWith(server, { token: ticket }), over(CloseReason.sessionEnded));
  });

  test('a refused credential is logged with its reason and without the ticket', async () => {
    const ticket = await user.ticket();
    await initWith(server, { token: ticket });
    await initWith(server, { token: ticket });
    const lines = server.logs.filter((line) => line.includes('socket credential refused'));
    assert.ok(lines.some((line) => line.includes(CloseReason.ticketReplayed)));
    assert.ok(!server.logs.some((line) => line.includes(ticket.split('.')[2] as string)), 'the ticket signature never reaches the log');
  });

  test('no credential: the connection is acknowledged as anonymous', async () => {
    assert.equal(await initWith(server, {}), 'ack');
    assert.equal(await initWith(server, { token: null }), 'ack');
  });
});

describe('session expiry seen by a ticket (SESSION_ABSOLUTE_TTL_SECONDS=2)', () => {
  test('4401 "session expired": a ticket still within its TTL whose session has expired', async () => {
    const server = await startServer({ SESSION_ABSOLUTE_TTL_SECONDS: '2', TICKET_TTL_SECONDS: '60' });
    try {
      const user = new HttpClient(server.url);
      await user.register();
      const ticket = await user.ticket();
      await sleep(2100);
      assert.deepEqual(await initWith(server, { token: ticket }), over(CloseReason.sessionExpired));
    } finally {
      await server.close();
    }
  });
});
