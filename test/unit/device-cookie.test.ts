/** Device cookies: signed, bound to the normalised email, expiring, verified with every configured key. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import { DEVICE_COOKIE_TTL_SECONDS, DeviceCookies, deviceCookieName } from '../../src/accounts/device-cookie.js';
import { TicketIssuer } from '../../src/tickets/ticket-issuer.js';
import { MemoryReplayGuard } from '../../src/tickets/replay-guard.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const OLD = 'an-older-secret-still-accepted-for-rotation-42';

function clock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('DeviceCookies', () => {
  it('verifies its own cookie for the same email, and names a stable device id', () => {
    const devices = new DeviceCookies([SECRET]);
    const cookie = devices.issue('ada@example.com');
    assert.match(cookie, /^v1\.[A-Za-z0-9_-]{22}\.[0-9a-z]+\.[A-Za-z0-9_-]{43}$/);
    const id = devices.verify(cookie, 'ada@example.com');
    assert.equal(id, cookie.split('.')[1]);
    assert.notEqual(devices.issue('ada@example.com').split('.')[1], id, 'each cookie names a new device id');
  });

  it('does not verify for another email (the email is bound by the MAC, not carried in the cookie)', () => {
    const devices = new DeviceCookies([SECRET]);
    const cookie = devices.issue('ada@example.com');
    assert.ok(!cookie.includes('ada'));
    assert.equal(devices.verify(cookie, 'eve@example.com'), undefined);
    assert.equal(devices.verify(cookie, 'ada@example.co'), undefined);
  });

  it('refuses any changed part, other shapes, and other keys', () => {
    const devices = new DeviceCookies([SECRET]);
    const cookie = devices.issue('ada@example.com');
    const [v, id, at, mac] = cookie.split('.') as [string, string, string, string];
    const other = new DeviceCookies(['some-other-secret-0123456789abcdef0123']).issue('ada@example.com');
    for (const bad of [
      `${v}.${id}.${(parseInt(at, 36) - 1).toString(36)}.${mac}`,
      `${v}.${id.slice(1)}A.${at}.${mac}`,
      `${v}.${id}.${at}.${mac.slice(1)}A`,
      `v2.${id}.${at}.${mac}`,
      `${cookie}.x`,
      other,
      '',
      'x'.repeat(10_000),
      undefined,
    ]) {
      assert.equal(devices.verify(bad, 'ada@example.com'), undefined, String(bad).slice(0, 40));
    }
  });

  it('expires DEVICE_COOKIE_TTL_SECONDS after it was issued', () => {
    const time = clock();
    const devices = new DeviceCookies([SECRET], time.now);
    const cookie = devices.issue('ada@example.com');
    time.advance(DEVICE_COOKIE_TTL_SECONDS * 1000 - 1000);
    assert.ok(devices.verify(cookie, 'ada@example.com'));
    time.advance(2000);
    assert.equal(devices.verify(cookie, 'ada@example.com'), undefined);
  });

  it('signs with the first secret and verifies with all of them (rotation)', () => {
    const before = new DeviceCookies([OLD]).issue('ada@example.com');
    const rotated = new DeviceCookies([SECRET, OLD]);
    assert.ok(rotated.verify(before, 'ada@example.com'));
    assert.ok(new DeviceCookies([SECRET]).verify(rotated.issue('ada@example.com'), 'ada@example.com'));
    assert.equal(new DeviceCookies([SECRET]).verify(before, 'ada@example.com'), undefined, 'a dropped secret verifies nothing');
  });

  it('keys its MACs apart from the ticket MACs made from the same secret', async () => {
    // A device cookie's MAC is not HMAC(secret, …) directly: its key is HMAC(secret, label).
    const cookie = new DeviceCookies([SECRET]).issue('ada@example.com');
    const [v, id, at, mac] = cookie.split('.') as [string, string, string, string];
    const direct = createHmac('sha256', SECRET).update(`${v}.${id}.${at}.ada@example.com`).digest('base64url');
    assert.notEqual(mac, direct);
    const tickets = new TicketIssuer([SECRET], 60, new MemoryReplayGuard());
    const ticket = tickets.issue({ sessionId: 's', userId: 'u' });
    assert.ok(!ticket.includes(mac));
  });

  it('is named tessera_device, or __Host-tessera_device when cookies are Secure', () => {
    assert.equal(deviceCookieName(false), 'tessera_device');
    assert.equal(deviceCookieName(true), '__Host-tessera_device');
  });
});
