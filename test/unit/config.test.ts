/** Configuration from environment variables: defaults, derived values, and one clear error per bad value. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 4000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.dataDir, './data');
    assert.equal(config.cookieSecure, false);
    assert.equal(config.sessionIdleTtlSeconds, 7 * 86_400);
    assert.equal(config.sessionAbsoluteTtlSeconds, 30 * 86_400);
    assert.deepEqual(config.allowedOrigins, ['http://localhost:4000', 'http://127.0.0.1:4000']);
    assert.equal(config.authRateLimitPerIp, 100);
    assert.equal(config.authRateLimitPerEmail, 10);
    assert.equal(config.authRateLimitPerEmailAddress, 5);
    assert.equal(config.authRateLimitPerDevice, 10);
    assert.equal(config.authRateLimitWindowSeconds, 300);
    assert.equal(config.authRateLimitMaxKeys, 100_000);
    assert.equal('adminEmails' in config, false, 'admins are a role stored with the user, not an email list');
    assert.equal(config.maxAliases, 30);
    assert.equal(config.maxRootFields, 20);
    assert.equal(config.maxIntrospectionFields, 3);
    assert.equal(config.maxFields, 300);
    assert.equal(config.documentCacheBytes, 16 * 1024 * 1024);
    assert.equal(config.maxResponseBytes, 1024 * 1024);
  });

  it('has the documented HTTP and output-buffer limits, and refuses inconsistent ones', () => {
    const config = loadConfig({});
    assert.equal(config.httpRequestTimeoutMs, 30_000);
    assert.equal(config.httpHeadersTimeoutMs, 10_000);
    assert.equal(config.httpKeepAliveTimeoutMs, 10_000);
    assert.equal(config.httpMaxConnectionsPerIp, 256);
    assert.equal(config.wsMaxTotalBufferedBytes, 256 * 1024 * 1024);
    assert.equal(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '5000' }).httpHeadersTimeoutMs, 5000, 'the headers default never exceeds the request timeout');
    assert.match(refusal({ HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' }).message, /HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS/);
    assert.equal(refusal({ WS_MAX_TOTAL_BUFFERED_BYTES: '1000' }).variable, 'WS_MAX_TOTAL_BUFFERED_BYTES');
    assert.equal(refusal({ HTTP_MAX_CONNECTIONS_PER_IP: '0' }).variable, 'HTTP_MAX_CONNECTIONS_PER_IP');
  });

  it('derives the default ALLOWED_ORIGINS from PORT', () => {
    assert.deepEqual(loadConfig({ PORT: '8080' }).allowedOrigins, ['http://localhost:8080', 'http://127.0.0.1:8080']);
  });

  it('makes cookies Secure by default when NODE_ENV=production, and COOKIE_SECURE overrides it', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production' }).cookieSecure, true);
    assert.equal(loadConfig({ NODE_ENV: 'production', COOKIE_SECURE: 'false' }).cookieSecure, false);
    assert.equal(loadConfig({ COOKIE_SECURE: 'true' }).cookieSecure, true);
  });

  it('treats empty or blank values as unset and trims the rest', () => {
    const config = loadConfig({ PORT: '  ', HOST: '', SESSION_IDLE_TTL_SECONDS: ' 60 ' });
    assert.equal(config.port, 4000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.sessionIdleTtlSeconds, 60);
  });

  it('reads ALLOWED_ORIGINS as a comma list without trailing slashes', () => {
    const config = loadConfig({ ALLOWED_ORIGINS: 'https://a.example/, http://b.example:8080 ,' });
    assert.deepEqual(config.allowedOrigins, ['https://a.example', 'http://b.example:8080']);
  });

  it('reads the sign-in limits', () => {
    const config = loadConfig({
      AUTH_RATE_LIMIT_PER_EMAIL_ADDRESS: '3',
      AUTH_RATE_LIMIT_PER_DEVICE: '7',
      AUTH_RATE_LIMIT_MAX_KEYS: '5000',
    });
    assert.equal(config.authRateLimitPerEmailAddress, 3);
    assert.equal(config.authRateLimitPerDevice, 7);
    assert.equal(config.authRateLimitMaxKeys, 5000);
  });

  it('accepts a file path, a sqlite: URL or a postgres:// URL as DATABASE_URL', () => {
    for (const url of ['./var/app.db', '/tmp/x.db', 'sqlite:./x.db', 'postgres://u:p@h/db', 'postgresql://h/db']) {
      assert.equal(loadConfig({ DATABASE_URL: url }).databaseUrl, url);
    }
  });

  for (const [variable, value] of [
    ['PORT', 'abc'],
    ['PORT', '4000.5'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['SESSION_IDLE_TTL_SECONDS', '0'],
    ['SESSION_ABSOLUTE_TTL_SECONDS', '1e3'],
    ['AUTH_RATE_LIMIT_PER_EMAIL', '0'],
    ['AUTH_RATE_LIMIT_PER_IP', 'many'],
    ['AUTH_RATE_LIMIT_PER_EMAIL_ADDRESS', '0'],
    ['AUTH_RATE_LIMIT_PER_DEVICE', '-3'],
    ['AUTH_RATE_LIMIT_MAX_KEYS', '10'],
    ['MAX_QUERY_DEPTH', '1'],
    ['MAX_ALIASES', '-1'],
    ['MAX_ROOT_FIELDS', '0'],
    ['MAX_INTROSPECTION_FIELDS', 'all'],
    ['MAX_FIELDS', '0'],
    ['DOCUMENT_CACHE_BYTES', '1048576'],
    ['MAX_RESPONSE_BYTES', '100'],
    ['BODY_LIMIT_BYTES', '10'],
    ['COOKIE_SECURE', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://localhost/tessera'],
    ['ALLOWED_ORIGINS', 'not a url'],
    ['ALLOWED_ORIGINS', 'https://app.example/path'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['TICKET_SECRETS', 'too-short'],
  ] as const) {
    it(`refuses ${variable}=${value} with one line naming ${variable}`, () => {
      const error = refusal({ [variable]: value });
      assert.equal(error.variable, variable);
      assert.match(error.message, new RegExp(`^Invalid configuration: ${variable} `));
      assert.ok(!error.message.includes('\n'), 'one line');
    });
  }

  it('does not echo secrets in its errors', () => {
    assert.ok(!refusal({ TICKET_SECRETS: 'my-short-secret' }).message.includes('my-short-secret'));
    assert.ok(!refusal({ DATABASE_URL: 'mysql://user:hunter2@db/x' }).message.includes('hunter2'));
  });
});
