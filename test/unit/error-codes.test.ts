/** Every error code a client can see is in one registry, and the README lists each one. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '../../src/graphql/errors.js';

/** The repository root: the nearest directory above this file with a package.json (works from dist/ too). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above the test');
    dir = parent;
  }
  return dir;
}

describe('error codes', () => {
  it('each code in the registry equals its own name', () => {
    for (const [name, code] of Object.entries(ErrorCode)) assert.equal(code, name);
  });

  it('has at least the codes the issue requires', () => {
    const required = ['UNAUTHENTICATED', 'BAD_USER_INPUT', 'EMAIL_TAKEN', 'INVALID_CREDENTIALS', 'RATE_LIMITED', 'FORBIDDEN', 'INTERNAL_SERVER_ERROR'];
    for (const code of required) assert.ok(Object.values(ErrorCode).includes(code as ErrorCode), code);
  });

  it('README.md lists every code', () => {
    const file = join(repositoryRoot(), 'README.md');
    assert.ok(existsSync(file), `${file} exists`);
    const readme = readFileSync(file, 'utf8');
    const missing = Object.values(ErrorCode).filter((code) => !new RegExp(`\\b${code}\\b`).test(readme));
    assert.deepEqual(missing, [], `README.md does not list: ${missing.join(', ')}`);
  });
});
