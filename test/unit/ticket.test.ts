/** Socket tickets: signed, expiring, naming one session; verification is pure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signTicket, TicketFailure, verifyTicket } from '../../src/tickets/ticket.js';

const SECRET = 'a-test-secret-of-at-least-32-characters!!';
const OLD = 'an-old-secret-of-at-least-32-characters!!';
const NOW = 1_800_000_000_000;
const subject = { sessionId: 'session-1', userId: 'user-1' };

const reason = (check: ReturnType<typeof verifyTicket>) => (check.ok ? 'ok' : check.reason);

function reencode(ticket: string, change: (claims: Record<string, unknown>) => void): string {
  const [prefix, claims, mac] = ticket.split('.') as [string, string, string];
  const decoded = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<string, unknown>;
  change(decoded);
  return `${prefix}.${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${mac}`;
}

describe('socket tickets', () => {
  it('a signed ticket verifies, naming its session and user, expiring after the TTL', () => {
    const check = verifyTicket(signTicket(subject, SECRET, NOW, 60), [SECRET], NOW);
    assert.ok(check.ok);
    assert.equal(check.claims.sid, 'session-1');
    assert.equal(check.claims.uid, 'user-1');
    assert.equal(check.claims.exp, NOW + 60_000);
  });

  it('every ticket has its own jti', () => {
    const ids = new Set(Array.from({ length: 50 }, () => {
      const check = verifyTicket(signTicket(subject, SECRET, NOW, 60), [SECRET], NOW);
      assert.ok(check.ok);
      return check.claims.jti;
    }));
    assert.equal(ids.size, 50);
  });

  it('is expired at its expiry time and after', () => {
    const ticket = signTicket(subject, SECRET, NOW, 60);
    assert.equal(reason(verifyTicket(ticket, [SECRET], NOW + 59_999)), 'ok');
    assert.equal(reason(verifyTicket(ticket, [SECRET], NOW + 60_000)), TicketFailure.EXPIRED);
  });

  it('a ticket signed with another secret is refused; every listed secret verifies (rotation)', () => {
    const old = signTicket(subject, OLD, NOW, 60);
    assert.equal(reason(verifyTicket(old, [SECRET], NOW)), TicketFailure.BAD_SIGNATURE);
    assert.equal(reason(verifyTicket(old, [SECRET, OLD], NOW)), 'ok');
  });

  it('changed claims break the signature', () => {
    const ticket = signTicket(subject, SECRET, NOW, 60);
    assert.equal(reason(verifyTicket(reencode(ticket, (c) => (c['sid'] = 'session-2')), [SECRET], NOW)), TicketFailure.BAD_SIGNATURE);
    assert.equal(reason(verifyTicket(reencode(ticket, (c) => (c['exp'] = NOW + 3_600_000)), [SECRET], NOW + 120_000)), TicketFailure.BAD_SIGNATURE);
  });

  it('a changed or truncated signature is refused', () => {
    const ticket = signTicket(subject, SECRET, NOW, 60);
    assert.equal(reason(verifyTicket(ticket.slice(0, -2), [SECRET], NOW)), TicketFailure.BAD_SIGNATURE);
    // A character in the middle of the signature: every one of its bits counts.
    const at = ticket.length - 20;
    const changed = `${ticket.slice(0, at)}${ticket[at] === 'A' ? 'B' : 'A'}${ticket.slice(at + 1)}`;
    assert.equal(reason(verifyTicket(changed, [SECRET], NOW)), TicketFailure.BAD_SIGNATURE);
  });

  it(
    'only the canonical encoding of a signature verifies (no trailing junk, no spare low bits)',
    () => {
      const ticket = signTicket(subject, SECRET, NOW, 60);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(ticket.at(-1) as string);
      const spareBits = `${ticket.slice(0, -1)}${alphabet[last ^ 1]}`;
      assert.equal(reason(verifyTicket(`${ticket}!!`, [SECRET], NOW)), TicketFailure.BAD_SIGNATURE);
      assert.equal(reason(verifyTicket(spareBits, [SECRET], NOW)), TicketFailure.BAD_SIGNATURE);
    },
  );

  for (const [label, value] of [
    ['a number', 42],
    ['undefined', undefined],
    ['an object', { token: 'x' }],
    ['an empty string', ''],
    ['two parts', 't1.abc'],
    ['four parts', 't1.a.b.c'],
    ['another version', 't2.a.b'],
    ['an over-long string', `t1.${'a'.repeat(2000)}.b`],
  ] as const) {
    it(`${label} is malformed`, () => {
      assert.equal(reason(verifyTicket(value, [SECRET], NOW)), TicketFailure.MALFORMED);
    });
  }
});
