/**
 * A skipped suite's tests are counted in node:test's summary (test/helpers/suite.ts):
 * a suite skipped for a missing service must show in `# skipped`, not vanish.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';

it('a suite skipped with a reason counts each of its tests as skipped, and runs none of its hooks', () => {
  const helper = new URL(`../helpers/suite.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url).href;
  const dir = mkdtempSync(join(tmpdir(), 'tessera-suite-'));
  const file = join(dir, 'fixture.test.mjs');
  writeFileSync(
    file,
    `import { after, before, beforeEach, describe, it } from ${JSON.stringify(helper)};
describe('needs PostgreSQL', { skip: 'PostgreSQL unreachable' }, () => {
  before(() => { throw new Error('a hook of a skipped suite ran'); });
  beforeEach(() => { throw new Error('a hook of a skipped suite ran'); });
  after(() => { throw new Error('a hook of a skipped suite ran'); });
  it('one', () => { throw new Error('a skipped test ran'); });
  describe('nested', () => { it('two', () => { throw new Error('a skipped test ran'); }); });
});
describe('runs', () => { let ready = false; before(() => { ready = true; }); it('three', () => { if (!ready) throw new Error('no before'); }); });
`,
  );
  // Without the parent's NODE_TEST_CONTEXT, the child is a test run of its own rather than a subtest.
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
  const result = spawnSync(process.execPath, [...process.execArgv, '--test', file], { encoding: 'utf8', timeout: 60_000, env });
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(result.status, 0, output);
  assert.match(output, /^# skipped 2$/m, output);
  assert.match(output, /^# pass 1$/m, output);
  assert.match(output, /# SKIP PostgreSQL unreachable/, 'the reason is printed with each skipped test');
});
