/** NODE_ENV takes only known values; METRICS is off, on, or a port other than PORT. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('NODE_ENV and METRICS', () => {
  it('NODE_ENV is development by default, and development, production or test when set', () => {
    assert.equal(loadConfig({}).nodeEnv, 'development');
    for (const name of ['development', 'production', 'test'] as const) assert.equal(loadConfig({ NODE_ENV: name }).nodeEnv, name);
    for (const bad of ['prod', 'Production', 'staging', 'dev']) {
      assert.throws(() => loadConfig({ NODE_ENV: bad }), (error: unknown) => error instanceof ConfigError && error.variable === 'NODE_ENV');
    }
  });

  it('METRICS is off by default; on; or a port, which must not be PORT', () => {
    assert.equal(loadConfig({}).metrics, 'off');
    assert.equal(loadConfig({ METRICS: 'off' }).metrics, 'off');
    assert.equal(loadConfig({ METRICS: 'on' }).metrics, 'on');
    assert.equal(loadConfig({ METRICS: '9464' }).metrics, 9464);
    assert.equal(loadConfig({ METRICS: '0' }).metrics, 'off', '0 is off, as for USER_COUNT_INTERVAL_MS');
    for (const bad of ['70000', 'maybe', '4000', '-1']) {
      assert.throws(() => loadConfig({ METRICS: bad, PORT: '4000' }), (error: unknown) => error instanceof ConfigError && error.variable === 'METRICS', bad);
    }
  });
});
