/**
 * The stores tests run against: the embedded SQLite always; PostgreSQL when it
 * answers. With CI=true an unreachable PostgreSQL fails the run instead of
 * skipping, so CI can never pass without having tested it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const POSTGRES_ADMIN_URL = process.env['TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** Makes a fresh, empty database; resolves its URL and a function that drops it. */
  create(): Promise<{ url: string; drop: () => Promise<void> }>;
}

export const sqlite: Backend = {
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-db-'));
    return { url: join(dir, 'test.db'), drop: async () => {} };
  },
};

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export const postgres: Backend = {
  name: 'postgres',
  async create() {
    const name = `tessera_t_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    return { url: url.toString(), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  },
};

let reachable: Promise<boolean> | undefined;
export function postgresReachable(): Promise<boolean> {
  reachable ??= adminQuery('select 1').then(
    () => true,
    () => false,
  );
  return reachable;
}

/**
 * The backends to run a suite on, and for each a `skip` value for node:test:
 * a message when PostgreSQL is unreachable locally. In CI it throws instead.
 */
export async function backends(): Promise<{ backend: Backend; skip: string | false }[]> {
  const ok = await postgresReachable();
  if (!ok && process.env['CI'] === 'true') {
    throw new Error(`PostgreSQL is unreachable at ${POSTGRES_ADMIN_URL}, and CI=true requires the PostgreSQL tests to run`);
  }
  if (!ok) process.stderr.write(`\n*** PostgreSQL unreachable at ${POSTGRES_ADMIN_URL}: skipping its tests ***\n\n`);
  return [
    { backend: sqlite, skip: false },
    { backend: postgres, skip: ok ? false : `PostgreSQL unreachable at ${POSTGRES_ADMIN_URL}` },
  ];
}
