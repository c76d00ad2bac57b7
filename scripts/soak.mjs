#!/usr/bin/env node
/**
 * Soak (issue 11, item 7): one Tessera node holding N authenticated sockets,
 * each subscribed to its user's `accountsUserCount`, with the user-count worker
 * ticking at USER_COUNT_INTERVAL_MS (Tessera's default unless --interval-ms)
 * and keep-alive pings at Tessera's default WS_KEEPALIVE_MS, for --minutes. Every --sample-seconds it records the server's RSS and heap
 * (no forced GC), its event-loop lag, and the frames delivered. RSS drift is
 * the mean of the last minute against the mean of the first minute after the
 * warm-up; the goal is under 5 %.
 *
 *   node scripts/soak.mjs [--minutes=10] [--sockets=15000] [--clients=4] [--warmup-minutes=1]
 *                         [--sample-seconds=10] [--interval-ms=N] [--store=sqlite|postgres] [--out-dir=bench/results]
 *
 * Uses the bench's server and load-generator processes (bench/servers/tessera.mjs,
 * bench/client.mjs); needs `npm run build` (dist/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Child, sleep } from '../bench/lib/child.mjs';
import { scratchDatabase } from '../bench/lib/scratch-db.mjs';
import { runMeta, stopRun } from '../bench/lib/run-meta.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ORIGIN = 'http://bench.local';

/** Tessera's defaults for the worker's interval and the keep-alive pings. */
async function defaults() {
  const { loadConfig } = await import(pathToFileURL(join(root, 'dist/src/config/config.js')).href);
  const config = loadConfig({ NODE_ENV: 'test' });
  return { intervalMs: config.userCountIntervalMs, keepAliveMs: config.wsKeepAliveMs };
}

function parseArgs(argv) {
  const options = { minutes: 10, sockets: 15_000, clients: 4, warmupMinutes: 1, sampleSeconds: 10, intervalMs: undefined, store: 'sqlite', outDir: join(root, 'bench/results') };
  for (const arg of argv) {
    const [key, value = ''] = arg.replace(/^--/, '').split('=');
    if (key === 'minutes') options.minutes = Number(value);
    else if (key === 'sockets') options.sockets = Number(value);
    else if (key === 'clients') options.clients = Number(value);
    else if (key === 'warmup-minutes') options.warmupMinutes = Number(value);
    else if (key === 'sample-seconds') options.sampleSeconds = Number(value);
    else if (key === 'interval-ms') options.intervalMs = Number(value);
    else if (key === 'store') options.store = value;
    else if (key === 'out-dir') options.outDir = resolve(value);
    else throw new Error(`unknown option ${arg}`);
  }
  if (!['postgres', 'sqlite'].includes(options.store)) throw new Error('--store is sqlite or postgres');
  if (options.minutes <= options.warmupMinutes + 1) throw new Error('--minutes must leave two minutes after the warm-up');
  return options;
}

const mean = (list) => list.reduce((a, b) => a + b, 0) / Math.max(1, list.length);

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const tessera = await defaults();
  options.intervalMs ??= tessera.intervalMs;
  const startedAt = new Date();
  const database = options.store === 'postgres' ? await scratchDatabase(`tessera_soak_${Date.now()}`) : undefined;
  const server = await Child.start(join(root, 'bench/servers/tessera.mjs'), {
    execArgv: ['--expose-gc'],
    env: {
      BENCH_ORIGIN: ORIGIN,
      NODE_ENV: 'production',
      BENCH_TESSERA_USER_COUNT_INTERVAL_MS: String(options.intervalMs),
      // As in production: the keep-alive sweep runs too (the ratio runs turn it off for every server).
      BENCH_TESSERA_WS_KEEPALIVE_MS: String(tessera.keepAliveMs),
      ...(database === undefined ? {} : { BENCH_TESSERA_DATABASE_URL: database.url }),
    },
  });
  const clients = await Promise.all(Array.from({ length: options.clients }, () => Child.start(join(root, 'bench/client.mjs'))));
  const result = { sockets: options.sockets, minutes: options.minutes, intervalMs: options.intervalMs, keepAliveMs: tessera.keepAliveMs, store: options.store };
  const samples = [];
  try {
    process.stderr.write(`soak: preparing ${options.sockets} users ... `);
    await server.request('prepare', { n: options.sockets }, 1_800_000);
    const { tokens } = await server.request('tickets', { n: options.sockets });
    const shares = Array.from({ length: options.clients }, () => []);
    tokens.forEach((token, i) => shares[i % options.clients].push(token));
    process.stderr.write('connecting ... ');
    const replies = await Promise.all(
      clients.map((c, k) =>
        c.request('connect', { url: server.hello.url, origin: ORIGIN, localAddress: `127.0.0.${2 + k}`, tokens: shares[k], scenario: 'peruser', concurrency: 25 }, 1_800_000),
      ),
    );
    result.connected = replies.reduce((a, r) => a + r.ok, 0);
    result.failed = replies.reduce((a, r) => a + r.failed, 0);
    process.stderr.write(`${result.connected} connected; soaking for ${options.minutes} min ...\n`);
    await server.request('loop'); // starts the event-loop histogram
    await Promise.all(clients.map((c) => c.request('collect'))); // from here on
    const t0 = Date.now();
    const end = t0 + options.minutes * 60_000;
    let cpu0 = (await server.request('usage', { gc: false })).cpu;
    while (Date.now() < end) {
      await sleep(Math.min(options.sampleSeconds * 1000, Math.max(0, end - Date.now())));
      const usage = await server.request('usage', { gc: false });
      const { loop } = await server.request('loop');
      const collected = await Promise.all(clients.map((c) => c.request('collect')));
      const deliveries = collected.reduce((a, c) => a + Object.values(c.rounds).reduce((b, times) => b + times.length, 0), 0);
      const cpuUs = usage.cpu.user - cpu0.user + (usage.cpu.system - cpu0.system);
      cpu0 = usage.cpu;
      samples.push({
        atSeconds: (Date.now() - t0) / 1000,
        rssMB: usage.memory.rss / 2 ** 20,
        heapUsedMB: usage.memory.heapUsed / 2 ** 20,
        fds: usage.fds,
        deliveries,
        cpuUs,
        subscribed: collected.reduce((a, c) => a + c.subscribed, 0),
        problems: collected.reduce((a, c) => a + c.problems.errors + c.problems.closes, 0),
        loop,
      });
      const last = samples.at(-1);
      process.stderr.write(
        `  ${last.atSeconds.toFixed(0)} s: RSS ${last.rssMB.toFixed(1)} MB, heap ${last.heapUsedMB.toFixed(1)} MB, ${deliveries} frames, lag p99 ${loop?.p99.toFixed(1)} ms, ${last.subscribed} subscribed\n`,
      );
    }
    const afterGc = await server.request('usage', { gc: true });
    const firstFrom = options.warmupMinutes * 60;
    const first = samples.filter((s) => s.atSeconds > firstFrom && s.atSeconds <= firstFrom + 60);
    const last = samples.filter((s) => s.atSeconds > options.minutes * 60 - 60);
    const measured = samples.filter((s) => s.atSeconds > firstFrom);
    result.rss = {
      firstMinuteMB: mean(first.map((s) => s.rssMB)),
      lastMinuteMB: mean(last.map((s) => s.rssMB)),
      maxMB: Math.max(...measured.map((s) => s.rssMB)),
      afterGcAtEndMB: afterGc.memory.rss / 2 ** 20,
    };
    result.rss.driftPercent = ((result.rss.lastMinuteMB - result.rss.firstMinuteMB) / result.rss.firstMinuteMB) * 100;
    result.heap = {
      firstMinuteMB: mean(first.map((s) => s.heapUsedMB)),
      lastMinuteMB: mean(last.map((s) => s.heapUsedMB)),
      afterGcAtEndMB: afterGc.memory.heapUsed / 2 ** 20,
    };
    result.heap.driftPercent = ((result.heap.lastMinuteMB - result.heap.firstMinuteMB) / result.heap.firstMinuteMB) * 100;
    const lags = measured.map((s) => s.loop).filter((l) => l !== undefined);
    result.eventLoopLagMs = {
      meanOfSamples: mean(lags.map((l) => l.mean)),
      p50OfSamples: mean(lags.map((l) => l.p50)),
      worstP99: Math.max(...lags.map((l) => l.p99)),
      max: Math.max(...lags.map((l) => l.max)),
    };
    const deliveries = measured.reduce((a, s) => a + s.deliveries, 0);
    const seconds = measured.length * options.sampleSeconds;
    result.deliveries = {
      total: deliveries,
      perTick: deliveries / Math.max(1, (seconds * 1000) / options.intervalMs),
      serverCpuUsPerDelivery: measured.reduce((a, s) => a + s.cpuUs, 0) / Math.max(1, deliveries),
    };
    result.subscribedAtEnd = samples.at(-1)?.subscribed;
    result.problems = samples.reduce((a, s) => a + s.problems, 0);
    result.goalDriftUnder5Percent = result.rss.driftPercent < 5;
  } catch (error) {
    result.error = String(error?.stack ?? error);
  } finally {
    await stopRun(clients, server, database);
  }
  const report = {
    meta: {
      ...runMeta('scripts/soak.mjs', startedAt),
      loadAverageAtEnd: loadavg(),
      clients: options.clients,
      sampleSeconds: options.sampleSeconds,
      warmupMinutes: options.warmupMinutes,
    },
    result,
    samples,
  };
  mkdirSync(options.outDir, { recursive: true });
  const file = join(options.outDir, `soak-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${JSON.stringify(result, null, 2)}\nwrote ${file}\n`);
  if (result.error !== undefined) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
