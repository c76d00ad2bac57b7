// The ticket's claim, one per socket connect: on SQLite before and after migration 0004, and
// in memory (the embedded default since spent tickets moved there). Two scratch databases, one
// left at 0003_used_tickets (a rowid table, its jti index and an expiry index), one at the
// newest schema (WITHOUT ROWID, no expiry index), claimed through dist's StoreReplayGuard, and
// dist's MemoryReplayGuard, one ticket at a time (as a connect alone in its event-loop turn),
// rounds alternated.
//
//   npm run build && node bench/ticket-claims.mjs [--claims=20000] [--rounds=6]
//
// Reports this process's CPU (user + system) per claim for each, and the ratios to the first.
// A store claim here is the whole call: the batch's turn, the statement on the better-sqlite3
// handle, the WAL append (synchronous = NORMAL, as the store opens it).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const CLAIMS = Number(args.claims ?? 20_000);
const ROUNDS = Number(args.rounds ?? 6);
const root = new URL('../', import.meta.url);
const dist = (module) => pathToFileURL(join(root.pathname, 'dist/src', `${module}.js`)).href;
if (!existsSync(new URL('dist/src/store/migrations.js', root))) throw new Error('dist/ is missing: run `npm run build` first');
const { openStore } = await import(dist('store/database'));
const { migrateTo, migrateToLatest } = await import(dist('store/migrations'));
const { StoreReplayGuard } = await import(dist('tickets/store-replay-guard'));
const { MemoryReplayGuard } = await import(dist('tickets/replay-guard'));

const dir = mkdtempSync(join(tmpdir(), 'tessera-ticket-claims-'));
try {
  const stores = {};
  for (const [name, migrate] of [
    ['before (0003)', (db) => migrateTo(db, '0003_used_tickets')],
    ['after (0004)', (db) => migrateToLatest(db)],
  ]) {
    const store = openStore(`sqlite:${join(dir, `${name.split(' ')[0]}.db`)}`, dir);
    await migrate(store.db);
    stores[name] = { store, guard: new StoreReplayGuard(store.db), samples: [] };
  }
  stores['memory'] = { store: undefined, guard: new MemoryReplayGuard(), samples: [] };
  const expiresAt = Date.now() + 3_600_000;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? Object.keys(stores) : Object.keys(stores).reverse();
    for (const name of order) {
      const { guard, samples } = stores[name];
      const ids = Array.from({ length: CLAIMS }, () => randomBytes(16).toString('base64url'));
      const start = process.cpuUsage();
      for (const id of ids) if ((await guard.claim(id, expiresAt)) !== true) throw new Error('a fresh ticket id was refused');
      const used = process.cpuUsage(start);
      samples.push((used.user + used.system) / CLAIMS);
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const rows = Object.entries(stores).map(([name, { samples }]) => ({ name, median: median(samples), samples }));
  console.log(`ticket claims (SQLite before and after 0004, and memory), ${ROUNDS} rounds of ${CLAIMS} (table growing to ${ROUNDS * CLAIMS} rows), CPU µs per claim:`);
  for (const row of rows) console.log(`  ${row.name.padEnd(14)} median ${row.median.toFixed(1)}  (rounds: ${row.samples.map((v) => v.toFixed(1)).join(', ')})`);
  for (const row of rows.slice(1)) console.log(`  ${row.name} / ${rows[0].name}: ${(row.median / rows[0].median).toFixed(2)}×`);
  for (const { store } of Object.values(stores)) await store?.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
