/**
 * A start-up that cannot succeed prints one plain stderr line saying what to
 * do, and exits 1: the real `main`, spawned as `npm start` runs it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterServicesSkip, POSTGRES_ADMIN_URL, postgres, postgresReachable, REDIS_URL } from '../helpers/backends.js';
import { mainCommand } from '../helpers/process.js';
import { freePort } from '../helpers/server.js';
import { describe, it } from '../helpers/suite.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(env: Record<string, string>, timeoutMs = 40_000): Promise<Run> {
  const child = spawn(process.execPath, mainCommand(), {
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-startup-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Exit code 1 and exactly `line` on stderr (the JSON logs before it stay on stdout). */
function assertOneLine(result: Run, line: string | RegExp): void {
  assert.equal(result.code, 1, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `exactly one stderr line, got:\n${result.stderr}`);
  if (typeof line === 'string') assert.equal(lines[0], line);
  else assert.match(lines[0] as string, line);
  for (const json of result.stdout.split('\n').filter((l) => l.trim() !== '')) JSON.parse(json);
}

async function occupiedPort(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe('start-up failures', { concurrency: true }, () => {
  it('a port in use: "port N is in use: set PORT"', async () => {
    const taken = await occupiedPort();
    try {
      assertOneLine(await run({ PORT: String(portOf(taken)) }), `port ${portOf(taken)} is in use: set PORT`);
    } finally {
      taken.close();
    }
  });

  it('a metrics port in use: "port N is in use: set METRICS"', async () => {
    const taken = await occupiedPort();
    try {
      const result = await run({ PORT: String(await freePort()), METRICS: String(portOf(taken)) });
      assertOneLine(result, `port ${portOf(taken)} is in use: set METRICS`);
    } finally {
      taken.close();
    }
  });

  it('NODE_ENV=prod is refused: only development, production and test are known', async () => {
    const result = await run({ NODE_ENV: 'prod' });
    assertOneLine(result, /^Invalid configuration: NODE_ENV must be one of development, production, test, got "prod"$/);
    assert.equal(result.stdout, '', 'refused before anything starts');
  });

  it('an unreachable PostgreSQL: one line naming it and DATABASE_URL', async () => {
    const port = await freePort();
    const result = await run({ PORT: String(await freePort()), DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/tessera` });
    assertOneLine(result, `cannot reach PostgreSQL at 127.0.0.1:${port} (ECONNREFUSED): start it, or set DATABASE_URL`);
  });

  it('an unreachable Redis: one line naming it and REDIS_URL (after the 10 s start-up wait)', async () => {
    const port = await freePort();
    const result = await run({ PORT: String(await freePort()), REDIS_URL: `redis://127.0.0.1:${port}` });
    assertOneLine(result, new RegExp(`^cannot reach Redis at redis://127\\.0\\.0\\.1:${port}/? \\(.+\\): start it, or set REDIS_URL$`));
  });
});

const pgSkip = (await postgresReachable()) ? false : `PostgreSQL unreachable at ${POSTGRES_ADMIN_URL}`;

describe('start-up failures on a real PostgreSQL', { skip: pgSkip }, () => {
  it('a database that does not exist: "database "x" does not exist: createdb x"', async () => {
    const name = `tessera_missing_${randomBytes(4).toString('hex')}`;
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    const local = ['127.0.0.1', 'localhost'].includes(url.hostname) && (url.port === '' || url.port === '5432');
    const result = await run({ PORT: String(await freePort()), DATABASE_URL: url.toString() });
    if (local) assertOneLine(result, `database "${name}" does not exist: createdb ${name}`);
    else assertOneLine(result, new RegExp(`^database "${name}" does not exist: createdb -h .* ${name}$`));
  });

});

describe('start-up failures of a cluster', { skip: await clusterServicesSkip() }, () => {
  it('with WORKERS=2, a port in use stops the cluster with exit 1 instead of replacing workers forever', { timeout: 60_000 }, async () => {
    const taken = await occupiedPort();
    // PostgreSQL, as a cluster is deployed: its migrations take a lock, so the two workers do not race.
    const database = await postgres.create();
    try {
      const result = await run({ PORT: String(portOf(taken)), WORKERS: '2', REDIS_URL, DATABASE_URL: database.url }, 50_000);
      assert.equal(result.code, 1, `exit code; stderr: ${result.stderr}`);
      const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
      assert.ok(lines.length >= 1 && lines.length <= 2, `one line per worker at most:\n${result.stderr}`);
      for (const line of lines) assert.equal(line, `port ${portOf(taken)} is in use: set PORT`);
    } finally {
      taken.close();
      await database.drop();
    }
  });
});
