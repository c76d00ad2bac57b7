/** Which counters a sign-in attempt is checked against, in which order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signInRules } from '../../src/accounts/sign-in-limits.js';

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
      { key: 'ip:::1', limit: 100 },
      { key: `device:${'d'.repeat(22)}`, limit: 7 },
    ]);
  });

  it('keeps keys bounded in length', () => {
    const rules = signInRules(limits, { ip: 'x'.repeat(1000), email: `${'a'.repeat(240)}@example.com`, deviceId: undefined });
    for (const rule of rules) assert.ok(rule.key.length <= 340, `${rule.key.length}`);
  });
});
