/** The upgrade checks, pure: path, credentials in the URL, Origin, per-address cap. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkUpgrade, UpgradeRefusal } from '../../src/gateway/upgrade/upgrade-checks.js';
import { OriginPolicy } from '../../src/security/origin-policy.js';

const origins = new OriginPolicy(['https://app.example', 'http://localhost:4000']);
const check = (url: string, origin?: string, connectionsFromAddress = 0) =>
  checkUpgrade({ url, origin, connectionsFromAddress }, origins, 10);

test('a same-path upgrade from an allowed Origin passes, and may use the cookie', () => {
  assert.deepEqual(check('/graphql', 'https://app.example'), { ok: true, originAllowed: true });
  assert.deepEqual(check('/graphql', 'HTTPS://APP.EXAMPLE'), { ok: true, originAllowed: true });
});

test('an upgrade without Origin (not a browser) passes, but may not use the cookie', () => {
  assert.deepEqual(check('/graphql'), { ok: true, originAllowed: false });
});

test('404 for any other path', () => {
  for (const url of ['/', '/graphql/', '/graphql2', '/api/graphql', '/GRAPHQL', '//graphql', '/graphql#x']) {
    assert.deepEqual(check(url, 'https://app.example'), { ok: false, status: 404, reason: UpgradeRefusal.notFound }, url);
  }
});

test('400 for a credential-like query parameter, before the Origin is looked at', () => {
  for (const query of ['token=t1.a.b', 'access_token=x', 'TICKET=x', 'auth=x', 'jwt=x', 'session=x', 'apiKey=x', 'a=1&password=x']) {
    assert.deepEqual(check(`/graphql?${query}`, 'https://evil.example'), { ok: false, status: 400, reason: UpgradeRefusal.credentialInUrl });
  }
  assert.match(UpgradeRefusal.credentialInUrl, /connection_init/);
  assert.deepEqual(check('/graphql?operationName=Counts', 'https://app.example'), { ok: true, originAllowed: true });
  assert.deepEqual(check('/graphql?', 'https://app.example'), { ok: true, originAllowed: true });
});

test('403 for an Origin outside the list, exact match only', () => {
  for (const origin of ['https://evil.example', 'http://app.example', 'https://app.example:443x', 'https://app.example.evil', 'null', '']) {
    assert.deepEqual(check('/graphql', origin), { ok: false, status: 403, reason: UpgradeRefusal.origin }, origin);
  }
});

test('429 once the address holds the maximum number of connections', () => {
  assert.equal(check('/graphql', undefined, 9).ok, true);
  assert.deepEqual(check('/graphql', undefined, 10), { ok: false, status: 429, reason: UpgradeRefusal.tooManyFromAddress });
});

test('the refusal reasons carry no part of the request', () => {
  const verdict = check('/graphql?token=secret-value', undefined);
  assert.ok(!verdict.ok && !verdict.reason.includes('secret-value'));
});
