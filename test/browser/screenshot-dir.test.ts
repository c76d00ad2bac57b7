/** Browser tests never modify tracked files: screenshots go to docs/ only with UPDATE_SCREENSHOTS=1. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { it } from 'node:test';
import { ROOT, screenshotDir } from './browser.js';

it('screenshots go to a git-ignored folder unless UPDATE_SCREENSHOTS=1, which writes docs/', (t) => {
  assert.equal(screenshotDir({ UPDATE_SCREENSHOTS: '1' }), join(ROOT, 'docs'));
  const dir = screenshotDir({});
  assert.ok(!relative(ROOT, dir).startsWith('..'), 'inside the checkout');
  assert.notEqual(dir, join(ROOT, 'docs'));
  const check = spawnSync('git', ['check-ignore', '-q', join(relative(ROOT, dir), 'demo.png')], { cwd: ROOT });
  if (check.error !== undefined || check.status === 128) {
    t.skip('not a git checkout: cannot ask git whether the folder is ignored');
    return;
  }
  assert.equal(check.status, 0, `${relative(ROOT, dir)} is git-ignored`);
});
