/** Which counters a sign-in attempt is checked against, in which order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey, signInRules } from '../../src/accounts/sign-in-limits.js';

const limits = { perIp: 100, perEmail: 10, perEmailAddress: 5, perDevice: 7 };

describe('signInRules', () => {
  it('an untrusted client: the address first, then (address, email), then the email', () => {
    assert.deepEqual(signInRules(limits, { ip: '203.0.113.9', email: 'ada@example.com', deviceId: undefined }), [
      { key: 'ip:203.0.113.9', limit: 100 },
      { key: 'email-ip:203.0.113.9|ada@example.com', limit: 5 },
      { key: 'email:ada@example.com', limit: 10 },
    ]);
  });

  it('a known device: the address, then the device, and no per-email counter', () => {
    assert.deepEqual(signInRules(limits, { ip: '::1', email: 'ada@example.com', deviceId: 'd'.repeat(22) }), [
      { key: 'ip:0:0:0:0::/64', limit: 100 },
      { key: `device:${'d'.repeat(22)}`, limit: 7 },
    ]);
  });

  it('keeps keys bounded in length', () => {
    const rules = signInRules(limits, { ip: 'x'.repeat(1000), email: `${'a'.repeat(240)}@example.com`, deviceId: undefined });
    for (const rule of rules) assert.ok(rule.key.length <= 340, `${rule.key.length}`);
  });

  it('counts IPv4 as it is, IPv4-mapped IPv6 as its IPv4, and IPv6 by its /64', () => {
    assert.equal(addressKey('203.0.113.9'), '203.0.113.9');
    assert.equal(addressKey('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0DB8:0001:0002:ffff::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('2001:db8:1:2::'), '2001:db8:1:2::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    // Two addresses of one /64 share a counter; of two /64s, not.
    const keyOf = (ip: string) => signInRules(limits, { ip, email: 'a@b.co', deviceId: undefined })[0]?.key;
    assert.equal(keyOf('2001:db8:1:2::a'), keyOf('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    assert.notEqual(keyOf('2001:db8:1:2::a'), keyOf('2001:db8:1:3::a'));
    // Anything else is counted as given (bounded in length).
    assert.equal(addressKey('not-an-address'), 'not-an-address');
    assert.equal(addressKey('1::2::3'), '1::2::3');
  });
});
