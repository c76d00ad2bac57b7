/**
 * The stores tests run against: the embedded SQLite always; PostgreSQL when it
 * answers. With CI=true an unreachable PostgreSQL fails the run instead of
 * skipping, so CI can never pass without having tested it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
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

export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

let redisOk: Promise<boolean> | undefined;
function redisReachable(): Promise<boolean> {
  redisOk ??= new Promise((resolve) => {
    const url = new URL(REDIS_URL);
    const socket = createConnection({ host: url.hostname, port: Number(url.port || 6379) });
    socket.setTimeout(2000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
  return redisOk;
}

/**
 * `false` when Redis answers, else the reason to skip. With CI=true a missing
 * Redis throws: the Redis-backed tests must run in CI.
 */
export async function redisSkip(): Promise<string | false> {
  if (await redisReachable()) return false;
  const reason = `Redis (${REDIS_URL}) unreachable`;
  if (process.env['CI'] === 'true') throw new Error(`${reason}, and CI=true requires the Redis tests to run`);
  process.stderr.write(`\n*** ${reason}: skipping the Redis tests ***\n\n`);
  return reason;
}

/**
 * `false` when PostgreSQL and Redis both answer, else the reason to skip.
 * With CI=true a missing service throws: the cluster tests must run in CI.
 */
export async function clusterServicesSkip(): Promise<string | false> {
  const [pgOk, rOk] = await Promise.all([postgresReachable(), redisReachable()]);
  const missing = [pgOk ? undefined : `PostgreSQL (${POSTGRES_ADMIN_URL})`, rOk ? undefined : `Redis (${REDIS_URL})`].filter(Boolean);
  if (missing.length === 0) return false;
  const reason = `${missing.join(' and ')} unreachable`;
  if (process.env['CI'] === 'true') throw new Error(`${reason}, and CI=true requires the cluster tests to run`);
  process.stderr.write(`\n*** ${reason}: skipping the cluster tests ***\n\n`);
  return reason;
}
