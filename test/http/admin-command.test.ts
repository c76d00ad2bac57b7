/**
 * `npm run admin -- grant|revoke|list`, run as the real command (the compiled
 * entry point) against a temporary SQLite database that a real server uses at
 * the same time: results, errors, exit codes, the audit line, and that the
 * role takes effect on the server's next request.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { HttpClient, uniqueEmail } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

function adminCommand(): string[] {
  const compiled = fileURLToPath(new URL('../../src/admin.js', import.meta.url));
  if (existsSync(compiled)) return [compiled];
  return ['--import', 'tsx', fileURLToPath(new URL('../../src/admin.ts', import.meta.url))];
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runAdmin(databaseUrl: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...adminCommand(), ...args], {
      env: { PATH: process.env['PATH'] ?? '', DATABASE_URL: databaseUrl, DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-admin-')), LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const auditLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));

const ANNOUNCE = 'mutation { systemAnnounce(message: "hello") { id } }';
const codeOf = (body: { errors?: { extensions?: Record<string, any> }[] }) => body.errors?.[0]?.extensions?.['code'];

describe('npm run admin', () => {
  let server: TestServer;
  let databaseUrl: string;
  before(async () => {
    databaseUrl = join(mkdtempSync(join(tmpdir(), 'tessera-admin-db-')), 'test.db');
    server = await startServer({ DATABASE_URL: databaseUrl });
  });
  after(() => server?.close());

  it('grant gives the role (whatever the letter case), writes an audit line, and the server honours it at the next request', async () => {
    const client = new HttpClient(server.url);
    const email = uniqueEmail();
    await client.register(email);
    assert.equal(codeOf((await client.gql(ANNOUNCE)).body), 'FORBIDDEN');

    const granted = await runAdmin(databaseUrl, 'grant', email.toUpperCase());
    assert.equal(granted.code, 0, granted.stderr);
    assert.equal(granted.stdout, `Granted the admin role to ${email}.\n`);
    const [audit, ...more] = auditLines(granted.stderr);
    assert.equal(more.length, 0);
    assert.equal(audit.audit, 'admin.grant');
    assert.equal(audit.email, email);
    assert.equal(typeof audit.userId, 'string');
    assert.equal(typeof audit.operator, 'string');
    assert.equal(audit.msg, 'admin role granted');
    assert.equal(audit.level, 30, 'written at info, even with LOG_LEVEL=silent');

    assert.equal((await client.gql(ANNOUNCE)).body.errors, undefined, 'the same session may announce now');

    const again = await runAdmin(databaseUrl, 'grant', email);
    assert.equal(again.code, 0);
    assert.equal(again.stdout, `${email} is already an admin.\n`);
    assert.equal(auditLines(again.stderr).length, 0, 'nothing changed: no audit line');

    const list = await runAdmin(databaseUrl, 'list');
    assert.equal(list.code, 0);
    assert.match(list.stdout, new RegExp(`^${email.replace(/[.+]/g, '\\$&')}\\t${audit.userId}$`, 'm'));

    const revoked = await runAdmin(databaseUrl, 'revoke', email);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, `Revoked the admin role from ${email}.\n`);
    assert.equal(auditLines(revoked.stderr)[0]?.audit, 'admin.revoke');
    assert.equal(codeOf((await client.gql(ANNOUNCE)).body), 'FORBIDDEN', 'revoked at once, on the open session');

    const none = await runAdmin(databaseUrl, 'revoke', email);
    assert.equal(none.stdout, `${email} is not an admin.\n`);
    assert.equal((await runAdmin(databaseUrl, 'list')).stdout, 'No account has the admin role.\n');
  });

  it('an unknown email is an error (exit 1), and bad usage prints the usage (exit 2)', async () => {
    const unknown = await runAdmin(databaseUrl, 'grant', 'nobody@example.test');
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stdout, '');
    assert.equal(unknown.stderr, 'No account has the email nobody@example.test.\n');
    for (const args of [[], ['grant'], ['promote', 'a@b.co'], ['grant', 'a@b.co', 'extra'], ['list', 'x']]) {
      const run = await runAdmin(databaseUrl, ...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /^Usage: npm run admin -- <command>/);
    }
  });

  it('a bad configuration stops it with the variable named (exit 1)', async () => {
    const run = await runAdmin('mysql://localhost/tessera', 'list');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^Invalid configuration: DATABASE_URL /);
  });
});
