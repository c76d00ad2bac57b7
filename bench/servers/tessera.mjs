/**
 * Tessera as `npm start` runs it (startTessera with loadConfig), from the
 * compiled dist/ (`npm run build`), or from src/ through tsx when the
 * orchestrator says BENCH_TESSERA_FROM=src. Users and sessions are written
 * straight to the store: going through HTTP would spend ~50 ms of argon2 per user.
 *
 * By default: SQLite in a fresh directory under /dev/shm, the in-process bus, a
 * random port, the user-count worker off. The scenarios that need more set:
 *   BENCH_TESSERA_DATABASE_URL  postgres://… (the two-process run, the storm)
 *   BENCH_TESSERA_REDIS_URL, BENCH_TESSERA_REDIS_PREFIX  the bus over Redis (two processes)
 *   BENCH_TESSERA_DATA_DIR, BENCH_TESSERA_PORT  the same store and port after a restart (the storm)
 *   BENCH_TESSERA_USER_COUNT_INTERVAL_MS  the worker ticking (the soak; default 0, off)
 *   BENCH_TESSERA_WS_KEEPALIVE_MS  keep-alive pings (the soak; default 0, off)
 *   BENCH_TESSERA_HTTP_MAX_CONNECTIONS_PER_IP  the load generator fetches tickets from a few
 *     source addresses, where real clients come from many (the storm)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serve } from '../lib/harness.mjs';
import { announcement, broadcastTopic, userTopic } from '../lib/schema.mjs';

// BENCH_TESSERA_ROOT points at another checkout (built), for before/after comparisons.
const root = process.env.BENCH_TESSERA_ROOT ?? fileURLToPath(new URL('../../', import.meta.url));
const fromSource = process.env.BENCH_TESSERA_FROM === 'src';
const entry = (module) => pathToFileURL(join(root, fromSource ? `src/${module}.ts` : `dist/src/${module}.js`)).href;
if (!fromSource && !existsSync(join(root, 'dist/src/app.js'))) {
  throw new Error('dist/src/app.js is missing: run `npm run build` in the repository root first');
}
const { startTessera } = await import(entry('app'));
const { loadConfig } = await import(entry('config/config'));
const { createLogger } = await import(entry('logging/logger'));

const NOT_RESUMABLE = { resumable: false };

// A real argon2id hash (of a password nobody uses): these users never sign in over HTTP.
const PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hiZW5jaGJlbmNo$0pQ0F9vJtYw3m6G1h1s0h9mQbqH0lI6nqBf9mTi6Jz8';

serve(async ({ host, origin }) => {
  const scratch = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const env = process.env;
  const optional = (name, value) => (value === undefined || value === '' ? {} : { [name]: value });
  // A fresh data directory per run, removed at close (not one given by BENCH_TESSERA_DATA_DIR).
  const scratchDir = env.BENCH_TESSERA_DATA_DIR === undefined ? mkdtempSync(join(scratch, 'tessera-bench-')) : undefined;
  const config = loadConfig({
    HOST: host,
    PORT: env.BENCH_TESSERA_PORT ?? '0',
    NODE_ENV: 'production',
    DATA_DIR: env.BENCH_TESSERA_DATA_DIR ?? scratchDir,
    ...optional('DATABASE_URL', env.BENCH_TESSERA_DATABASE_URL),
    ...optional('REDIS_URL', env.BENCH_TESSERA_REDIS_URL),
    ...optional('REDIS_KEY_PREFIX', env.BENCH_TESSERA_REDIS_PREFIX),
    ...optional('HTTP_MAX_CONNECTIONS_PER_IP', env.BENCH_TESSERA_HTTP_MAX_CONNECTIONS_PER_IP),
    TICKET_SECRETS: 'bench-ticket-secret-0123456789abcdef0123456789',
    TICKET_TTL_SECONDS: '600',
    ALLOWED_ORIGINS: origin,
    LOG_LEVEL: 'warn',
    USER_COUNT_INTERVAL_MS: env.BENCH_TESSERA_USER_COUNT_INTERVAL_MS ?? '0',
    WS_MAX_CONNECTIONS_PER_IP: '1000000',
    HTTP_MAX_CONNECTIONS_PER_IP: '1000000', // SSE streams (tessera-sse) are HTTP connections
    WS_MAX_CONNECTIONS_PER_USER: '1000',
    WS_MESSAGES_PER_SECOND: '1000',
    WS_KEEPALIVE_MS: env.BENCH_TESSERA_WS_KEEPALIVE_MS ?? '0', // no server in the ratio runs sends keep-alive pings
    COOKIE_SECURE: 'false',
    // BENCH_TESSERA_METRICS=on measures the cost of metrics (a checkout without them ignores it).
    METRICS: process.env.BENCH_TESSERA_METRICS ?? 'off',
  });
  const tessera = await startTessera(config, createLogger(config.logLevel));
  /** @type {{ userId: string, sessionId: string, secret: string }[]} */
  const users = [];
  return {
    url: `${tessera.url.replace(/^http/, 'ws')}/graphql`,
    async prepare(n) {
      const now = Date.now();
      for (let start = users.length; start < n; start += 500) {
        const rows = [];
        for (let i = start; i < Math.min(n, start + 500); i++) {
          rows.push({
            id: `bench-u${i}`,
            email: `u${i}@bench.local`,
            email_normalized: `u${i}@bench.local`,
            name: null,
            password_hash: PASSWORD_HASH,
            created_at: now,
            updated_at: now,
          });
        }
        await tessera.store.db.insertInto('users').values(rows).execute();
      }
      // Ten at a time: PostgreSQL's pool has ten connections (SQLite runs them in turn anyway).
      for (let start = users.length; start < n; start += 10) {
        const batch = [];
        for (let i = start; i < Math.min(n, start + 10); i++) batch.push(tessera.services.sessions.create(`bench-u${i}`, 'tessera-bench'));
        const created = await Promise.all(batch);
        created.forEach(({ session, secret }, k) => users.push({ userId: `bench-u${start + k}`, sessionId: session.id, secret }));
      }
    },
    secrets: (n) => users.slice(0, n).map((user) => user.secret),
    tickets: (n) => users.slice(0, n).map(({ userId, sessionId }) => tessera.services.tickets.issue({ userId, sessionId })),
    broadcast: (round) => tessera.services.publisher.publish(broadcastTopic, announcement(round)),
    // A per-user counter opts out of the SSE resumption log, as PublishOptions says (and as
    // accountsUserCount declares, resumable: false): the next value replaces it, nobody resumes it.
    publishUser: (index, round) => void tessera.services.publisher.publish(userTopic(`bench-u${index}`), round, NOT_RESUMABLE),
    async close() {
      await tessera.close();
      if (scratchDir !== undefined) rmSync(scratchDir, { recursive: true, force: true });
    },
  };
});
