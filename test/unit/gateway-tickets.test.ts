/** Socket tickets, pure: signing, verification with rotation, expiry, and single use. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MemoryReplayGuard } from '../../src/tickets/replay-guard.js';
import { TicketIssuer } from '../../src/tickets/ticket-issuer.js';
import { loadTicketSecrets } from '../../src/tickets/ticket-secrets.js';
import { signTicket, TicketFailure, verifyTicket } from '../../src/tickets/ticket.js';

const OLD = 'old-secret-0123456789abcdef0123456789abcdef';
const NEW = 'new-secret-0123456789abcdef0123456789abcdef';
const subject = { sessionId: 'session-1', userId: 'user-1' };
const NOW = 1_700_000_000_000;

describe('verifyTicket', () => {
  test('a signed ticket verifies and carries its session, user, expiry and a random id', () => {
    const ticket = signTicket(subject, NEW, NOW, 60);
    const check = verifyTicket(ticket, [NEW], NOW + 1000);
    assert.ok(check.ok);
    assert.equal(check.claims.sid, 'session-1');
    assert.equal(check.claims.uid, 'user-1');
    assert.equal(check.claims.exp, NOW + 60_000);
    assert.match(check.claims.jti, /^[\w-]{22}$/);
    assert.equal(check.claims.iat, NOW, 'and when it was signed');
    const again = verifyTicket(signTicket(subject, NEW, NOW, 60), [NEW], NOW);
    assert.ok(again.ok && again.claims.jti !== check.claims.jti, 'each ticket has its own id');
  });

  test('rotation: a ticket signed with any configured secret verifies', () => {
    assert.ok(verifyTicket(signTicket(subject, OLD, NOW, 60), [NEW, OLD], NOW).ok);
    assert.ok(verifyTicket(signTicket(subject, NEW, NOW, 60), [NEW, OLD], NOW).ok);
    assert.deepEqual(verifyTicket(signTicket(subject, OLD, NOW, 60), [NEW], NOW), { ok: false, reason: TicketFailure.BAD_SIGNATURE });
  });

  test('expired at exactly its expiry', () => {
    const ticket = signTicket(subject, NEW, NOW, 60);
    assert.ok(verifyTicket(ticket, [NEW], NOW + 59_999).ok);
    assert.deepEqual(verifyTicket(ticket, [NEW], NOW + 60_000), { ok: false, reason: TicketFailure.EXPIRED });
  });

  test('any change to the claims or the signature breaks the signature', () => {
    const ticket = signTicket(subject, NEW, NOW, 60);
    const [version, claims, mac] = ticket.split('.') as [string, string, string];
    const decoded = JSON.parse(Buffer.from(claims, 'base64url').toString());
    for (const change of [{ uid: 'user-2' }, { sid: 'session-2' }, { exp: NOW + 3_600_000 }]) {
      const forged = Buffer.from(JSON.stringify({ ...decoded, ...change })).toString('base64url');
      assert.deepEqual(verifyTicket(`${version}.${forged}.${mac}`, [NEW], NOW), { ok: false, reason: TicketFailure.BAD_SIGNATURE });
    }
    assert.deepEqual(verifyTicket(`${version}.${claims}.${mac.slice(0, -4)}`, [NEW], NOW), { ok: false, reason: TicketFailure.BAD_SIGNATURE });
    assert.deepEqual(verifyTicket(`${version}.${claims}.`, [NEW], NOW), { ok: false, reason: TicketFailure.BAD_SIGNATURE });
  });

  test('malformed: not a string, too long, wrong shape or version, or signed claims that are not claims', () => {
    for (const value of [undefined, null, 42, {}, '', 'abc', 'a.b', 't1.a.b.c', 't2.e30.x', `t1.${'a'.repeat(2000)}.b`]) {
      assert.deepEqual(verifyTicket(value, [NEW], NOW), { ok: false, reason: TicketFailure.MALFORMED }, String(value));
    }
    // Correctly signed, but the claims are not what a ticket holds.
    for (const claims of ['[]', '{"sid":"s","uid":"u","jti":"j"}', '{"sid":1,"uid":"u","exp":1,"jti":"j"}', '{"sid":"s","uid":"u","exp":1,"jti":"j","iat":"1"}', 'not json']) {
      const signed = `t1.${Buffer.from(claims).toString('base64url')}`;
      const mac = createHmac('sha256', NEW).update(signed).digest('base64url');
      assert.deepEqual(verifyTicket(`${signed}.${mac}`, [NEW], NOW), { ok: false, reason: TicketFailure.MALFORMED }, claims);
    }
  });
});

describe('single use', () => {
  test('TicketIssuer.redeem accepts a ticket once, then answers "ticket already used"', async () => {
    let now = NOW;
    const issuer = new TicketIssuer([NEW, OLD], 60, new MemoryReplayGuard(() => now), () => now);
    const ticket = issuer.issue(subject);
    assert.ok((await issuer.redeem(ticket)).ok);
    assert.deepEqual(await issuer.redeem(ticket), { ok: false, reason: TicketFailure.REPLAYED });
    now += 61_000;
    assert.deepEqual(await issuer.redeem(ticket), { ok: false, reason: TicketFailure.EXPIRED });
  });

  test('a refused ticket (bad signature, expired) does not spend anything', async () => {
    const guard = new MemoryReplayGuard(() => NOW);
    const issuer = new TicketIssuer([NEW], 60, guard, () => NOW);
    assert.deepEqual(await issuer.redeem('t1.e30.AAAA'), { ok: false, reason: TicketFailure.BAD_SIGNATURE });
    const ticket = issuer.issue(subject);
    assert.ok((await issuer.redeem(ticket)).ok);
  });

  test('MemoryReplayGuard forgets ids once they expire, so memory stays bounded', async () => {
    let now = NOW;
    const guard = new MemoryReplayGuard(() => now);
    for (let i = 0; i < 1000; i++) assert.equal(await guard.claim(`jti-${i}`, now + 1000), true);
    assert.equal(await guard.claim('jti-1', now + 1000), false);
    now += 20_000;
    // The next claim sweeps; an expired ticket could not pass verification anyway.
    assert.equal(await guard.claim('fresh', now + 1000), true);
    assert.equal(await guard.claim('jti-1', now + 1000), true, 'swept');
  });

  test('a memory guard refuses, without spending them, tickets signed before it was created or carrying no signing time', async () => {
    let now = NOW;
    const before = signTicket(subject, NEW, now - 1, 60);
    const guard = new MemoryReplayGuard(() => now);
    assert.equal(guard.rememberedSince, NOW);
    const issuer = new TicketIssuer([NEW], 60, guard, () => now);
    assert.deepEqual(await issuer.redeem(before), { ok: false, reason: TicketFailure.BEFORE_START });
    // Signed as Tessera 0.2 signed tickets: no iat.
    const signed = `t1.${Buffer.from(JSON.stringify({ sid: 's', uid: 'u', exp: now + 60_000, jti: 'old-format' })).toString('base64url')}`;
    const noIat = `${signed}.${createHmac('sha256', NEW).update(signed).digest('base64url')}`;
    assert.deepEqual(await issuer.redeem(noIat), { ok: false, reason: TicketFailure.BEFORE_START });
    assert.equal(guard.size, 0, 'nothing was spent');
    const atStart = signTicket(subject, NEW, now, 60);
    assert.ok((await issuer.redeem(atStart)).ok, 'signed at the very millisecond the guard started');
    now += 1000;
    assert.ok((await issuer.redeem(issuer.issue(subject))).ok);
    // A guard that remembers across restarts (no rememberedSince) takes both.
    const lasting = new TicketIssuer([NEW], 60, { claim: async () => true }, () => now);
    assert.ok((await lasting.redeem(before)).ok);
    assert.ok((await lasting.redeem(noIat)).ok);
  });

  test('MemoryReplayGuard drops expired ids from the oldest on: an expired one behind a live one waits for it', async () => {
    let now = NOW;
    const guard = new MemoryReplayGuard(() => now);
    assert.equal(await guard.claim('short-1', now + 1000), true);
    assert.equal(await guard.claim('long', now + 60_000), true);
    assert.equal(await guard.claim('short-2', now + 1000), true);
    now += 2000;
    assert.equal(await guard.claim('fresh', now + 60_000), true);
    assert.equal(guard.size, 3, 'short-1 went; short-2 waits behind long');
    assert.equal(await guard.claim('long', now + 60_000), false, 'a live id stays refused');
    now += 60_000;
    assert.equal(await guard.claim('later', now + 60_000), true);
    assert.equal(guard.size, 1, 'long, short-2 and fresh went');
  });

  test('TicketIssuer needs a secret', () => {
    assert.throws(() => new TicketIssuer([], 60, new MemoryReplayGuard()));
  });
});

describe('loadTicketSecrets', () => {
  test('configured secrets are used as given, without a warning', () => {
    assert.deepEqual(loadTicketSecrets([NEW, OLD], '/nonexistent'), { secrets: [NEW, OLD] });
  });

  test('without configured secrets one is generated, kept (mode 0600) and reused, with a warning', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tessera-secrets-')), 'data');
    const first = loadTicketSecrets([], dir);
    assert.match(first.warning ?? '', /generated/);
    assert.equal(first.secrets.length, 1);
    assert.ok((first.secrets[0] as string).length >= 32);
    assert.equal(readFileSync(join(dir, 'ticket-secret'), 'utf8').trim(), first.secrets[0]);
    assert.equal(statSync(join(dir, 'ticket-secret')).mode & 0o777, 0o600);
    const second = loadTicketSecrets([], dir);
    assert.deepEqual(second.secrets, first.secrets);
    assert.match(second.warning ?? '', /TICKET_SECRETS is not set/);
  });
});
