/** SESSION_RECHECK_SECONDS: its default, its range, one clear error for a bad value. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('SESSION_RECHECK_SECONDS', () => {
  it('defaults to 30 and reads whole seconds from 1 to a day', () => {
    assert.equal(loadConfig({}).sessionRecheckSeconds, 30);
    assert.equal(loadConfig({ SESSION_RECHECK_SECONDS: '1' }).sessionRecheckSeconds, 1);
    assert.equal(loadConfig({ SESSION_RECHECK_SECONDS: '86400' }).sessionRecheckSeconds, 86_400);
  });

  for (const value of ['0', '-5', '2.5', 'often', '86401']) {
    it(`refuses SESSION_RECHECK_SECONDS=${value}, naming the variable`, () => {
      assert.throws(
        () => loadConfig({ SESSION_RECHECK_SECONDS: value }),
        (error: unknown) => error instanceof ConfigError && error.variable === 'SESSION_RECHECK_SECONDS' && /SESSION_RECHECK_SECONDS/.test(error.message),
      );
    });
  }
});
