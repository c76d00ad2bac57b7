/** The README stays true: its first two commands, the config table and the close codes. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CloseCode, CloseReason } from '../../src/gateway/protocol/close-codes.js';

// Tests run compiled from dist/test/unit/ and, in development, from test/unit/ through tsx.
function readRepoFile(path: string): string {
  for (const candidate of [new URL(`../../../${path}`, import.meta.url), new URL(`../../${path}`, import.meta.url)]) {
    try {
      return readFileSync(candidate, 'utf8');
    } catch {
      // try the next
    }
  }
  throw new Error(`cannot find ${path}`);
}

const readme = readRepoFile('README.md');

describe('README', () => {
  it('starts with the run and test commands, one line each, that .ci/run executes', () => {
    const lines = readme.split('\n').filter((line) => line.trim() !== '');
    assert.equal(lines[0], '# Tessera');
    assert.match(lines[1] ?? '', /^Run: `npm ci && npm start`$/);
    assert.match(lines[2] ?? '', /^Test: `[^`]+`$/);
    assert.match(readRepoFile('.ci/run'), /sed -n 's\/\^Test: \*`\\\(\.\*\\\)`\$\/\\1\/p' README\.md/);
  });

  it('lists every configuration variable that config.ts reads', () => {
    const source = readRepoFile('src/config/config.ts');
    const names = new Set([...source.matchAll(/(?:read|integer|boolean|list)\(env, '([A-Z_]+)'/g)].map((m) => m[1] as string));
    names.add('ALLOWED_ORIGINS');
    assert.ok(names.size > 20, `found ${names.size} variables`);
    for (const name of names) assert.match(readme, new RegExp(`\\| \`${name}\` \\|`), `${name} is in the config table`);
  });

  it("uses the GraphiQL workspace's demo credentials in its curl example, so the two walk-throughs agree", () => {
    const curl = /accountsRegister\(email: \\"([^"\\]+)\\", password: \\"([^"\\]+)\\"/.exec(readme);
    assert.ok(curl, 'the README registers with curl');
    const workspace = readRepoFile('web/graphiql/workspace.ts');
    for (const operation of ['accountsRegister', 'accountsLogin']) {
      const tab = new RegExp(`${operation}\\(\\s*email: "([^"]+)"\\s*password: "([^"]+)"`).exec(workspace);
      assert.ok(tab, `the workspace has an ${operation} tab with an email and password`);
      assert.deepEqual([tab[1], tab[2]], [curl[1], curl[2]], `the ${operation} tab and the README's curl use the same credentials`);
    }
  });

  it('lists every close code and close reason', () => {
    for (const [name, code] of Object.entries(CloseCode)) {
      if (typeof code !== 'number') continue;
      assert.match(readme, new RegExp(`^\\| ${code} \\|`, 'm'), `${name} (${code}) is in the close-code table`);
    }
    for (const [name, reason] of Object.entries(CloseReason)) {
      const text = typeof reason === 'function' ? reason('<id>') : reason;
      assert.ok(readme.includes(`\`${text}`), `reason ${name} ("${text}") is in the close-code table`);
    }
  });
});
