/** When a stream request may use the session cookie: allowed Origin, or same-origin Fetch Metadata; a foreign Origin with the cookie is 403. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OriginPolicy } from '../../src/security/origin-policy.js';
import { streamCookieRule } from '../../src/sse/stream-cookie-rule.js';

const origins = new OriginPolicy(['http://localhost:4000', 'https://app.example']);
const rule = (headers: Record<string, string | string[]>, hasCookie = true) => streamCookieRule(headers, hasCookie, (o) => origins.allows(o));

test('an allowed Origin uses the cookie, whatever Fetch Metadata says', () => {
  assert.deepEqual(rule({ origin: 'https://app.example' }), { cookie: 'use' });
  assert.deepEqual(rule({ origin: 'HTTPS://APP.EXAMPLE', 'sec-fetch-site': 'cross-site' }), { cookie: 'use' });
});

test('a foreign Origin carrying the cookie is refused with 403; without the cookie it goes on, anonymous', () => {
  for (const origin of ['https://evil.example', 'null', 'https://app.example.evil', 'http://app.example']) {
    assert.deepEqual(rule({ origin, 'sec-fetch-site': 'cross-site' }), { cookie: 'refuse', status: 403, message: `Origin ${origin} is not allowed.` }, origin);
    assert.deepEqual(rule({ origin }, false), { cookie: 'ignore' }, origin);
  }
  assert.equal(rule({ origin: ['https://app.example', 'https://evil.example'] }).cookie, 'refuse');
});

test('without Origin, only same-origin Fetch Metadata uses the cookie (a same-origin EventSource GET)', () => {
  assert.deepEqual(rule({ 'sec-fetch-site': 'same-origin' }), { cookie: 'use' });
  assert.deepEqual(rule({ 'sec-fetch-site': 'Same-Origin ' }), { cookie: 'use' });
  for (const site of ['same-site', 'cross-site', 'none', 'bogus']) assert.deepEqual(rule({ 'sec-fetch-site': site }), { cookie: 'ignore' }, site);
  assert.deepEqual(rule({}), { cookie: 'ignore' }, 'a non-browser client uses a ticket, as on the socket');
});
