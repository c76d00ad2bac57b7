#!/usr/bin/env node
/**
 * Reconnect storm (issue 11, item 6): N clients on one Tessera node; the node
 * restarts (graceful stop: every socket closed 1001, then a fresh process on the
 * same port and store); every client reconnects on its own with the client
 * helper's backoff (backoffMs, full jitter), each attempt fetching a fresh
 * ticket over HTTP (`{ accountsMe { token } }` with the sign-in cookie, as
 * createTesseraClient does). Reports the time until every client receives
 * events again, the attempts, close codes (1013 = a backing service or pool
 * was unavailable; 4408 = no connection_init in time) and ticket failures.
 *
 *   node scripts/reconnect-storm.mjs [--sockets=15000] [--clients=4] [--store=postgres|sqlite]
 *                                    [--publish-every-ms=250] [--timeout-seconds=180] [--out-dir=bench/results]
 *
 * Needs `npm run build` (dist/) and, for --store=postgres (the default: its pool
 * of ten is what a storm could time out on), PostgreSQL at BENCH_POSTGRES_URL
 * (default postgres://postgres@127.0.0.1:5432/test; a scratch database is
 * created and dropped).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, sleep } from '../bench/lib/child.mjs';
import { now } from '../bench/lib/clock.mjs';
import { announcement } from '../bench/lib/schema.mjs';
import { scratchDatabase } from '../bench/lib/scratch-db.mjs';
import { percentile } from '../bench/lib/stats.mjs';
import { runMeta, stopRun } from '../bench/lib/run-meta.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ORIGIN = 'http://bench.local';

function parseArgs(argv) {
  const options = { sockets: 15_000, clients: 4, store: 'postgres', publishEveryMs: 250, timeoutSeconds: 180, outDir: join(root, 'bench/results'), concurrency: 25 };
  for (const arg of argv) {
    const [key, value = ''] = arg.replace(/^--/, '').split('=');
    if (key === 'sockets') options.sockets = Number(value);
    else if (key === 'clients') options.clients = Number(value);
    else if (key === 'store') options.store = value;
    else if (key === 'publish-every-ms') options.publishEveryMs = Number(value);
    else if (key === 'timeout-seconds') options.timeoutSeconds = Number(value);
    else if (key === 'out-dir') options.outDir = resolve(value);
    else if (key === 'concurrency') options.concurrency = Number(value);
    else throw new Error(`unknown option ${arg}`);
  }
  if (!['postgres', 'sqlite'].includes(options.store)) throw new Error('--store is postgres or sqlite');
  return options;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const sum = (list, pick) => list.reduce((a, x) => a + pick(x), 0);
function mergeCounts(maps) {
  const out = {};
  for (const map of maps) for (const [k, v] of Object.entries(map)) out[k] = (out[k] ?? 0) + v;
  return out;
}
function minusCounts(a, b) {
  const out = {};
  for (const [k, v] of Object.entries(a)) if (v - (b[k] ?? 0) !== 0) out[k] = v - (b[k] ?? 0);
  return out;
}
const totals = (statuses) => ({
  attempts: sum(statuses, (s) => s.counters.attempts),
  acks: sum(statuses, (s) => s.counters.acks),
  ticketFailures: sum(statuses, (s) => s.counters.ticketFailures),
  ticketStatus: mergeCounts(statuses.map((s) => s.counters.ticketStatus)),
  closes: mergeCounts(statuses.map((s) => s.counters.closes)),
});

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const port = await freePort();
  const scratch = mkdtempSync(join(tmpdir(), 'tessera-storm-'));
  const database = options.store === 'postgres' ? await scratchDatabase(`tessera_storm_${Date.now()}`) : undefined;
  const env = {
    BENCH_ORIGIN: ORIGIN,
    NODE_ENV: 'production',
    BENCH_TESSERA_PORT: String(port),
    BENCH_TESSERA_DATA_DIR: scratch,
    // The clients come from a few 127.0.0.x addresses, where real ones come from many.
    BENCH_TESSERA_HTTP_MAX_CONNECTIONS_PER_IP: '1000000',
    ...(database === undefined ? {} : { BENCH_TESSERA_DATABASE_URL: database.url }),
  };
  const startServer = () => Child.start(join(root, 'bench/servers/tessera.mjs'), { execArgv: ['--expose-gc'], env });
  const wsUrl = `ws://127.0.0.1:${port}/graphql`;
  const httpUrl = `http://127.0.0.1:${port}/graphql`;
  let round = 0;
  const publish = (server) => server.request('publish', { kind: 'broadcast', round: ++round, n: 0 }, 10_000).catch(() => {});

  let server = await startServer();
  const clients = await Promise.all(Array.from({ length: options.clients }, () => Child.start(join(root, 'bench/storm-client.mjs'))));
  const status = (times = false) => Promise.all(clients.map((c) => c.request('status', { times })));
  const result = { sockets: options.sockets, store: options.store };
  try {
    process.stderr.write(`storm: preparing ${options.sockets} users ... `);
    await server.request('prepare', { n: options.sockets }, 1_800_000);
    const { secrets } = await server.request('secrets', { n: options.sockets });
    process.stderr.write('connecting ... ');
    const shares = Array.from({ length: options.clients }, () => []);
    secrets.forEach((secret, i) => shares[i % options.clients].push(secret));
    const t0 = Date.now();
    const started = await Promise.all(
      clients.map((c, k) =>
        c.request('start', { wsUrl, httpUrl, origin: ORIGIN, localAddress: `127.0.0.${2 + k}`, secrets: shares[k], concurrency: options.concurrency }, 1_800_000),
      ),
    );
    result.initialConnectSeconds = (Date.now() - t0) / 1000;
    result.initialConnected = sum(started, (s) => s.ok);
    // Everyone receiving before the restart.
    for (let i = 0; i < 100; i++) {
      await publish(server);
      await sleep(300);
      const s = await status();
      if (sum(s, (x) => x.receiving) === options.sockets) break;
    }
    const before = await status();
    result.receivingBeforeRestart = sum(before, (x) => x.receiving);
    process.stderr.write(`${result.receivingBeforeRestart} receiving; restarting the node ... `);

    const markAt = now();
    await Promise.all(clients.map((c) => c.request('mark', { at: markAt })));
    const beforeCounts = totals(before);
    await server.request('stop', {}, 60_000).catch(() => server.process.kill('SIGKILL'));
    await server.exited;
    const downAt = now();
    server = await startServer();
    const upAt = now();
    await server.request('loop'); // event-loop delay from here on
    result.stopMs = downAt - markAt;
    result.startMs = upAt - downAt;

    const publisher = setInterval(() => publish(server), options.publishEveryMs);
    const deadline = Date.now() + options.timeoutSeconds * 1000;
    const timeline = [];
    let final;
    try {
      while (Date.now() < deadline) {
        await sleep(500);
        const s = await status();
        const recovered = sum(s, (x) => x.recovered);
        timeline.push({ atMs: Math.round(now() - markAt), recovered, receiving: sum(s, (x) => x.receiving) });
        if (recovered === options.sockets) break;
      }
      await sleep(2000); // a last look: does anyone drop again?
    } finally {
      clearInterval(publisher);
    }
    final = await status(true);
    const { loop } = await server.request('loop');
    const usage = await server.request('usage', { gc: false });
    const times = final.flatMap((s) => s.recoveredAt).map((t) => t - markAt).sort((a, b) => a - b);
    const after = totals(final);
    result.recovered = times.length;
    result.receivingAtEnd = sum(final, (x) => x.receiving);
    result.timeToAllReceivingMs = times.length === options.sockets ? times[times.length - 1] : undefined;
    result.timeToAllReceivingFromUpMs = result.timeToAllReceivingMs === undefined ? undefined : result.timeToAllReceivingMs - (upAt - markAt);
    result.recoveryMs = { p50: percentile(times, 50), p90: percentile(times, 90), p99: percentile(times, 99), max: times.at(-1) };
    result.storm = {
      attempts: after.attempts - beforeCounts.attempts,
      attemptsPerClient: (after.attempts - beforeCounts.attempts) / options.sockets,
      acks: after.acks - beforeCounts.acks,
      ticketFailures: after.ticketFailures - beforeCounts.ticketFailures,
      ticketFailuresBy: minusCounts(after.ticketStatus, beforeCounts.ticketStatus),
      closesBy: minusCounts(after.closes, beforeCounts.closes),
      maxRetries: Math.max(...final.map((s) => s.maxRetries)),
    };
    result.closes1013 = result.storm.closesBy['1013'] ?? 0;
    result.serverAfter = { eventLoopDelayMs: loop, rssMB: usage.memory.rss / 2 ** 20, fds: usage.fds };
    result.timeline = timeline;
  } catch (error) {
    result.error = String(error?.stack ?? error);
  } finally {
    await stopRun(clients, server, database);
  }
  const report = {
    meta: {
      ...runMeta('scripts/reconnect-storm.mjs', startedAt),
      loadAverageAtEnd: loadavg(),
      clients: options.clients,
      publishEveryMs: options.publishEveryMs,
    },
    result,
  };
  mkdirSync(options.outDir, { recursive: true });
  const file = join(options.outDir, `storm-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  const { timeline, ...summary } = result;
  process.stdout.write(`\n${JSON.stringify(summary, null, 2)}\nwrote ${file}\n`);
  if (result.error !== undefined || result.timeToAllReceivingMs === undefined) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
