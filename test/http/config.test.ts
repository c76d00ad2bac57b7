/**
 * A bad configuration value stops `npm start` (and `npm run migrate`) before
 * anything else happens: exit code 1 and one clear stderr line naming the variable.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** How to run an entry point: compiled when the tests run compiled, else the TypeScript through tsx. */
function command(entry: 'main' | 'migrate'): string[] {
  const compiled = fileURLToPath(new URL(`../../src/${entry}.js`, import.meta.url));
  if (existsSync(compiled)) return [compiled];
  return ['--import', 'tsx', fileURLToPath(new URL(`../../src/${entry}.ts`, import.meta.url))];
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly dataDir: string;
}

function run(entry: 'main' | 'migrate', env: Record<string, string>): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
  const child = spawn(process.execPath, command(entry), {
    env: { PATH: process.env['PATH'] ?? '', DATA_DIR: join(dataDir, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, dataDir });
    });
  });
}

function assertRefused(result: Run, variable: string): void {
  assert.equal(result.code, 1, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  assert.equal(lines.length, 1, `exactly one stderr line, got:\n${result.stderr}`);
  assert.match(lines[0] as string, new RegExp(`\\b${variable}\\b`));
  assert.doesNotMatch(lines[0] as string, /\bat .+:\d+/, 'no stack trace');
  assert.equal(result.stdout, '', 'nothing else is printed');
  assert.deepEqual(readdirSync(result.dataDir), [], 'nothing is created: no database, no secret');
}

describe('configuration', { concurrency: true }, () => {
  it('PORT=abc stops npm start with exit code 1 and one stderr line naming PORT', async () => {
    const result = await run('main', { PORT: 'abc' });
    assertRefused(result, 'PORT');
    assert.match(result.stderr, /abc/);
  });

  for (const [variable, value] of [
    ['PORT', '70000'],
    ['COOKIE_SECURE', 'maybe'],
    ['SESSION_IDLE_TTL_SECONDS', '0'],
    ['DATABASE_URL', 'mysql://localhost/tessera'],
    ['ALLOWED_ORIGINS', 'https://app.example.test/path'],
  ] as const) {
    it(`${variable}=${value} stops npm start with exit code 1 and one stderr line naming ${variable}`, async () => {
      assertRefused(await run('main', { [variable]: value }), variable);
    });
  }

  it('a bad value stops npm run migrate the same way', async () => {
    assertRefused(await run('migrate', { AUTH_RATE_LIMIT_PER_IP: 'lots' }), 'AUTH_RATE_LIMIT_PER_IP');
  });
});
