#!/usr/bin/env node
/**
 * `npm run bench`: runs Tessera and its peers one after another under the same
 * load generator, in one run, and writes bench/results/<stamp>.json,
 * latest.json, latest.svg and latest.md, then prints a table of ratios.
 *
 *   node bench/run.mjs [--quick] [--sizes=1000,5000,15000] [--servers=raw,tessera,...]
 *                      [--rounds=N] [--burst-rounds=10] [--clients=4] [--out-dir=DIR] [--tessera-from=dist|src]
 *                      [--cpu-prof=SERVER[,SERVER]] [--heap-snapshot=DIR] [--scenarios=broadcast,peruser]
 *                      [--topology=one|two-redis|full] [--two-process-sizes=19000] [--pin[=SERVER_CPUS/CLIENT_CPUS]]
 *
 * For each server and N: a fresh server process (forked, --expose-gc, driven
 * over IPC) creates N users; then
 *   1. connect: N connections (Origin, ticket, ack, subscribe to the broadcast
 *      field) from the client processes; server CPU per connection, wall rate;
 *   2. memory: heap and RSS per subscribed connection after GC;
 *   3. broadcast: paced rounds of one publish to all N (each waited for), then
 *      a burst of --burst-rounds publishes back to back;
 *   4. per user: N fresh connections, each on its own user's topic; paced
 *      rounds of N publishes (the user-count worker's pattern), then a burst
 *      of --burst-rounds × N publishes back to back.
 * The full run (no --quick, no --sizes: --topology=full) then runs the
 * two-process run (--topology=two-redis) into the same result files.
 *
 * --pin (Linux, needs `taskset`): each server process on SERVER_CPUS, the client processes
 * and this orchestrator on CLIENT_CPUS (default 0/1: one core each on a 2-core machine), so
 * that server and load generator never share a core. Off by default (the full run's figures
 * are unpinned); the pinned figures are steadier from run to run, for before/after pairs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, sleep } from './lib/child.mjs';
import { scratchDatabase } from './lib/scratch-db.mjs';
import { burstFigures, cpuMicros, deliveryFigures } from './lib/stats.mjs';
import { evaluate, printReport, renderMarkdown, renderSvg } from './lib/report.mjs';
import { runMeta } from './lib/run-meta.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const ALL_SERVERS = ['raw', 'tessera', 'graphql-ws', 'yoga', 'mercurius', 'tessera-sse', 'yoga-sse'];
/** `<server>-sse`: the same server process, its clients on GraphQL over SSE (distinct connections) instead of the WebSocket. */
const scriptAndTransport = (name) => (name.endsWith('-sse') ? [name.slice(0, -4), 'sse'] : [name, 'ws']);
const ORIGIN = 'http://bench.local';
/** one: one process per server; two-redis: two Tessera processes on Redis + PostgreSQL; full: one, then two-redis. */
const TOPOLOGIES = ['one', 'two-redis', 'full'];

function parseArgs(argv) {
  const options = {
    quick: false,
    sizes: undefined,
    servers: ALL_SERVERS,
    rounds: undefined,
    clients: 4,
    outDir: join(here, 'results'),
    tesseraFrom: existsSync(join(root, 'dist/src/app.js')) ? 'dist' : 'src',
    cpuProf: [],
    scenarios: ['broadcast', 'peruser'],
    concurrency: 25,
    heapSnapshot: undefined,
    topology: undefined,
    burstRounds: 10,
    twoProcessSizes: [19000],
    // { server: '0', clients: '1' } with --pin: CPU lists as taskset takes them.
    pin: undefined,
  };
  for (const arg of argv) {
    const [key, value = ''] = arg.replace(/^--/, '').split('=');
    if (key === 'quick') {
      options.quick = true;
      options.sizes = [200];
      options.rounds = 1;
      options.clients = 2;
      options.burstRounds = 2;
    } else if (key === 'sizes') options.sizes = value.split(',').map(Number);
    else if (key === 'servers') options.servers = value.split(',');
    else if (key === 'rounds') options.rounds = Number(value);
    else if (key === 'clients') options.clients = Number(value);
    else if (key === 'out-dir') options.outDir = resolve(value);
    else if (key === 'tessera-from') options.tesseraFrom = value;
    else if (key === 'cpu-prof') options.cpuProf = value.split(',');
    else if (key === 'scenarios') options.scenarios = value.split(',');
    else if (key === 'concurrency') options.concurrency = Number(value);
    else if (key === 'heap-snapshot') options.heapSnapshot = resolve(value);
    else if (key === 'topology') options.topology = value;
    else if (key === 'burst-rounds') options.burstRounds = Number(value);
    else if (key === 'two-process-sizes') options.twoProcessSizes = value.split(',').map(Number);
    else if (key === 'pin') {
      const [server = '0', clients = '1'] = value === '' ? [] : value.split('/');
      const cpuList = /^[0-9]+([,-][0-9]+)*$/;
      if (!cpuList.test(server) || !cpuList.test(clients)) throw new Error(`--pin takes SERVER_CPUS/CLIENT_CPUS, e.g. --pin=0/1 (got ${value})`);
      options.pin = { server, clients };
    } else throw new Error(`unknown option ${arg}`);
  }
  for (const server of options.servers) if (!ALL_SERVERS.includes(server)) throw new Error(`unknown server ${server}`);
  // The full run (no --quick, no --sizes): the single-process sizes, then the two-process run.
  options.topology ??= options.quick || options.sizes !== undefined ? 'one' : 'full';
  if (!TOPOLOGIES.includes(options.topology)) throw new Error(`unknown topology ${options.topology} (${TOPOLOGIES.join(', ')})`);
  // two-redis: sizes are per node.
  options.sizes ??= options.topology === 'two-redis' ? options.twoProcessSizes : [1000, 5000, 15000, 19500];
  return options;
}


/** Which clients reported which rounds complete. */
const completions = new Map();
let completionWaiter;
function onClientEvent(index, message) {
  if (!message.complete) return;
  let set = completions.get(message.round);
  if (set === undefined) completions.set(message.round, (set = new Set()));
  set.add(index);
  completionWaiter?.();
}
async function waitRound(round, clientsWithSubscribers, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const set = completions.get(round);
    if (set !== undefined && clientsWithSubscribers.every((index) => set.has(index))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => {
      completionWaiter = resolve;
      setTimeout(resolve, 50);
    });
  }
}

function split(items, parts) {
  const out = Array.from({ length: parts }, () => []);
  items.forEach((item, i) => out[i % parts].push(item));
  return out;
}

/** This process's soft limit on open files (children inherit it): /proc/self/limits, Linux only. */
function openFileLimit() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return Infinity;
  }
}

/**
 * Refuses a size the file limit cannot hold, before spending minutes on it:
 * every server process holds its sockets (plus ~100 for its store, logs, IPC,
 * Redis and the listening socket), every client process its share.
 */
function checkFileLimit(socketsPerServer, totalSockets, clients) {
  const limit = openFileLimit();
  const perClient = Math.ceil(totalSockets / clients);
  const needed = Math.max(socketsPerServer, perClient) + 100;
  if (needed > limit) {
    throw new Error(
      `${socketsPerServer} sockets per server and ${perClient} per client process need about ${needed} open files, over this process's limit of ${limit} (ulimit -n): raise it, or use more --clients`,
    );
  }
}

const sumCpu = (list) => list.reduce((a, c) => ({ user: a.user + c.user, system: a.system + c.system }), { user: 0, system: 0 });

/** Connects every token's socket; with several servers (nodes) a client spreads its share over them in turn. */
let phase = 0;
async function connectAll(servers, clients, tokens, scenario, options) {
  const shares = split(tokens, clients.length);
  // Each phase from fresh source addresses (127.0.0.2–251): the last phase's
  // ports may still be in TIME_WAIT, and a bound port-0 connect skips those, so
  // back-to-back phases at 19,500 (or 2 × 19,000) could run one address out of ports.
  const base = (phase++ * clients.length) % 240;
  const replies = await Promise.all(
    clients.map((client, k) =>
      client.request('connect', {
        urls: servers.map((s) => s.hello.url),
        origin: ORIGIN,
        localAddress: `127.0.0.${2 + base + k}`,
        tokens: shares[k],
        scenario,
        concurrency: options.concurrency,
        transport: servers[0].transport,
      }),
    ),
  );
  const started = Math.min(...replies.map((r) => r.started));
  const ended = Math.max(...replies.map((r) => r.ended));
  return {
    ok: replies.reduce((a, r) => a + r.ok, 0),
    failed: replies.reduce((a, r) => a + r.failed, 0),
    wallMs: ended - started,
    clientCpu: sumCpu(replies.map((r) => r.cpu)),
    withSubscribers: replies.map((r, k) => (r.ok > 0 ? k : -1)).filter((k) => k >= 0),
  };
}

let warmupRound = 100_000;

/** Publishes warm-up rounds until every subscriber got one (subscribe frames may still be in flight). */
async function warmUp(server, kind, n, withSubscribers) {
  for (let attempt = 0; attempt < 4; attempt++) {
    const round = ++warmupRound;
    await server.request('publish', { kind, round, n });
    if (await waitRound(round, withSubscribers, 10_000)) return true;
  }
  return false;
}

/**
 * Rounds of publishes on servers[0]; with several servers (nodes on Redis) the
 * CPU is summed over them, and given per node and for Redis itself (`redis`: an
 * ioredis client, read with INFO cpu).
 */
async function runRounds(servers, clients, kind, n, rounds, withSubscribers, expected, redis) {
  const [server] = servers;
  const t0s = new Map();
  const clientCpu0 = sumCpu((await Promise.all(clients.map((c) => c.request('cpu')))).map((r) => r.cpu));
  await Promise.all(clients.map((c) => c.request('collect'))); // drop warm-up arrivals
  const befores = await Promise.all(servers.map((s) => s.request('usage', { gc: false })));
  const redis0 = redis === undefined ? undefined : await redisCpuMicros(redis);
  let timedOut = 0;
  for (let round = 1; round <= rounds; round++) {
    // Round numbers repeat in every scenario: a completion left from the last one
    // would let this round through unwaited (and the rounds run back to back).
    completions.delete(round);
    const { t0 } = await server.request('publish', { kind, round, n });
    t0s.set(round, t0);
    if (!(await waitRound(round, withSubscribers, 30_000))) timedOut++;
  }
  const afters = await Promise.all(servers.map((s) => s.request('usage', { gc: false })));
  const redis1 = redis === undefined ? undefined : await redisCpuMicros(redis);
  const collected = await Promise.all(clients.map((c) => c.request('collect')));
  const clientCpu1 = sumCpu(collected.map((r) => r.cpu));
  const perRound = [...t0s].map(([round, t0]) => ({ t0, arrivals: collected.map((c) => c.rounds[round] ?? []) }));
  const figures = deliveryFigures(perRound, expected);
  const nodeCpu = servers.map((_, k) => cpuMicros(befores[k].cpu, afters[k].cpu));
  const publishes = kind === 'broadcast' ? rounds : rounds * n;
  return {
    ...figures,
    ...(servers.length === 1 ? {} : { publishes }),
    timedOutRounds: timedOut,
    ...cpuFigures(nodeCpu, cpuMicros(clientCpu0, clientCpu1), figures.deliveries, publishes, redis0, redis1),
    ...problemFigures(collected),
  };
}

/**
 * Sockets the server closed during the scenario (a slow-consumer close, say)
 * and error frames, summed over the clients: failures, never dropped.
 */
function problemFigures(collected) {
  const problems = collected.map((c) => c.problems).filter((p) => p.errors + p.closes > 0);
  return {
    closedByServer: problems.reduce((a, p) => a + p.closes, 0),
    errorFrames: problems.reduce((a, p) => a + p.errors, 0),
    problems,
  };
}

let burstRound = 500_000;

/**
 * The burst scenario: `rounds` publishes (broadcast) or rounds × n (per user)
 * issued back to back on servers[0], none waited for, then a wait until every
 * round reached every subscriber still open (or the timeout). The same
 * figures as the paced rounds; `timeToLastMs` runs from the first publish to
 * the last subscriber getting the last round. Sockets the server closed, and
 * the deliveries they lost, are reported (`closedByServer`, `missing`).
 */
async function runBurst(servers, clients, kind, n, rounds, withSubscribers, expected, redis) {
  const [server] = servers;
  const numbers = Array.from({ length: rounds }, () => ++burstRound);
  for (const round of numbers) completions.delete(round);
  const clientCpu0 = sumCpu((await Promise.all(clients.map((c) => c.request('cpu')))).map((r) => r.cpu));
  await Promise.all(clients.map((c) => c.request('collect'))); // drop earlier arrivals
  const befores = await Promise.all(servers.map((s) => s.request('usage', { gc: false })));
  const redis0 = redis === undefined ? undefined : await redisCpuMicros(redis);
  const { t0s, issuedMs } = await server.request('burst', { kind, rounds: numbers, n }, 600_000);
  // Generous: at 19,500 per user a burst of 10 is 195,000 deliveries.
  // One deadline for the whole burst.
  const deadline = Date.now() + 30_000 + (rounds * n) / 2;
  let timedOut = 0;
  for (const round of numbers) if (!(await waitRound(round, withSubscribers, Math.max(0, deadline - Date.now())))) timedOut++;
  const afters = await Promise.all(servers.map((s) => s.request('usage', { gc: false })));
  const redis1 = redis === undefined ? undefined : await redisCpuMicros(redis);
  const collected = await Promise.all(clients.map((c) => c.request('collect')));
  const clientCpu = cpuMicros(clientCpu0, sumCpu(collected.map((r) => r.cpu)));
  const figures = burstFigures(t0s, numbers.map((round) => collected.map((c) => c.rounds[round] ?? [])), expected);
  const nodeCpu = servers.map((_, k) => cpuMicros(befores[k].cpu, afters[k].cpu));
  const publishes = kind === 'broadcast' ? rounds : rounds * n;
  return {
    ...figures,
    publishes,
    issueMs: issuedMs,
    timedOutRounds: timedOut,
    ...cpuFigures(nodeCpu, clientCpu, figures.deliveries, publishes, redis0, redis1),
    ...problemFigures(collected),
  };
}

/**
 * The CPU figures of a paced or burst phase: the servers' CPU (summed over the nodes, and per
 * node when there are several), Redis's (when measured) and the load generator's, per delivery
 * and per publish.
 */
function cpuFigures(nodeCpu, clientCpu, deliveries, publishes, redis0, redis1) {
  const serverCpu = nodeCpu.reduce((a, c) => ({ user: a.user + c.user, system: a.system + c.system, total: a.total + c.total }), { user: 0, system: 0, total: 0 });
  const per = Math.max(1, deliveries);
  return {
    ...(nodeCpu.length === 1
      ? {}
      : {
          nodeCpuUsPerDelivery: nodeCpu.map((c) => c.total / per),
          serverCpuUsPerPublish: serverCpu.total / publishes,
          publisherCpuUsPerPublish: nodeCpu[0].total / publishes,
        }),
    ...(redis0 === undefined ? {} : { redisCpuUsPerDelivery: (redis1 - redis0) / per, redisCpuUsPerPublish: (redis1 - redis0) / publishes }),
    serverCpuUsPerDelivery: serverCpu.total / per,
    serverUserUsPerDelivery: serverCpu.user / per,
    serverSystemUsPerDelivery: serverCpu.system / per,
    clientCpuUsPerDelivery: clientCpu.total / per,
  };
}

/**
 * Closes every client socket, then waits until each server has let go of its
 * sockets (its open files back near `baseline`): at N = 19,500 the next phase's
 * sockets would otherwise meet the last phase's in the 20,000-file limit.
 */
async function closeAll(clients, servers = [], baselines = []) {
  await Promise.all(clients.map((c) => c.request('close')));
  await sleep(300);
  const started = Date.now();
  const deadline = started + 30_000;
  for (const [k, server] of servers.entries()) {
    while (baselines[k] !== undefined && Date.now() < deadline) {
      const { fds } = await server.request('usage', { gc: false }).catch(() => ({ fds: undefined }));
      if (fds === undefined || fds <= baselines[k] + 50) break;
      await sleep(200);
    }
  }
  return { waitedMs: Date.now() - started };
}

/** Redis's own CPU time (user + system, µs) from INFO cpu. */
async function redisCpuMicros(redis) {
  const info = await redis.info('cpu');
  const read = (name) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (read('used_cpu_user') + read('used_cpu_sys')) * 1e6;
}

async function benchOne(name, n, clients, options) {
  const execArgv = ['--expose-gc'];
  const [script, transport] = scriptAndTransport(name);
  if (script === 'tessera' && options.tesseraFrom === 'src') execArgv.push('--import', 'tsx');
  if (options.cpuProf.includes(name)) {
    execArgv.push('--cpu-prof', '--cpu-prof-dir', join(options.outDir, 'profiles'), '--cpu-prof-name', `${name}-${n}-${Date.now()}.cpuprofile`);
  }
  const server = await Child.start(join(here, 'servers', `${script}.mjs`), {
    execArgv,
    env: { BENCH_ORIGIN: ORIGIN, BENCH_TESSERA_FROM: options.tesseraFrom, NODE_ENV: 'production' },
    cpus: options.pin?.server,
  });
  server.transport = transport;
  const rounds = options.rounds ?? Math.max(5, Math.min(100, Math.round(150_000 / n)));
  const result = { server: name, n, rounds };
  try {
    await server.request('prepare', { n });

    // 1-3: connect, memory, broadcast on one set of connections.
    const { tokens } = await server.request('tickets', { n });
    const mem0 = await server.request('usage', { gc: true });
    const connect = await connectAll([server], clients, tokens, 'broadcast', options);
    await sleep(300); // the last subscribe frames
    const afterConnect = await server.request('usage', { gc: false });
    const connectCpu = cpuMicros(mem0.cpu, afterConnect.cpu);
    result.connect = {
      ok: connect.ok,
      failed: connect.failed,
      wallMs: connect.wallMs,
      perSecond: (connect.ok / connect.wallMs) * 1000,
      serverCpuUsPerConnection: connectCpu.total / Math.max(1, connect.ok),
      serverUserUsPerConnection: connectCpu.user / Math.max(1, connect.ok),
      serverSystemUsPerConnection: connectCpu.system / Math.max(1, connect.ok),
      clientCpuUsPerConnection: (connect.clientCpu.user + connect.clientCpu.system) / Math.max(1, connect.ok),
    };
    const warm = await warmUp(server, 'broadcast', n, connect.withSubscribers);
    const mem1 = await server.request('usage', { gc: true });
    if (options.heapSnapshot !== undefined) {
      mkdirSync(options.heapSnapshot, { recursive: true });
      await server.request('snapshot', { path: join(options.heapSnapshot, `${name}-${n}.heapsnapshot`) });
    }
    result.memory = {
      connections: connect.ok,
      allSubscribed: warm,
      heapKBPerConnection: (mem1.memory.heapUsed - mem0.memory.heapUsed) / 1024 / Math.max(1, connect.ok),
      rssKBPerConnection: (mem1.memory.rss - mem0.memory.rss) / 1024 / Math.max(1, connect.ok),
      fdsBefore: mem0.fds,
      fdsSubscribed: mem1.fds,
    };
    if (options.scenarios.includes('broadcast')) {
      result.broadcast = await runRounds([server], clients, 'broadcast', n, rounds, connect.withSubscribers, connect.ok);
      if (options.burstRounds > 0) {
        result.broadcastBurst = await runBurst([server], clients, 'broadcast', n, options.burstRounds, connect.withSubscribers, connect.ok);
      }
    }
    result.connect.drainWaitMs = (await closeAll(clients, [server], [mem0.fds])).waitedMs;

    // 4: per user, on fresh connections.
    if (options.scenarios.includes('peruser')) {
      const { tokens: again } = await server.request('tickets', { n });
      const before = await server.request('usage', { gc: true });
      const perUser = await connectAll([server], clients, again, 'peruser', options);
      await sleep(300); // the last subscribe frames
      const perUserConnected = await server.request('usage', { gc: false });
      await warmUp(server, 'peruser', n, perUser.withSubscribers);
      const subscribed = await server.request('usage', { gc: true });
      if (options.heapSnapshot !== undefined) {
        await server.request('snapshot', { path: join(options.heapSnapshot, `${name}-${n}-peruser.heapsnapshot`) });
      }
      result.peruser = await runRounds([server], clients, 'peruser', n, rounds, perUser.withSubscribers, perUser.ok);
      const perUserConnectCpu = cpuMicros(before.cpu, perUserConnected.cpu);
      result.peruser.connect = {
        ok: perUser.ok,
        wallMs: perUser.wallMs,
        serverCpuUsPerConnection: perUserConnectCpu.total / Math.max(1, perUser.ok),
        serverUserUsPerConnection: perUserConnectCpu.user / Math.max(1, perUser.ok),
        serverSystemUsPerConnection: perUserConnectCpu.system / Math.max(1, perUser.ok),
      };
      // Heap and RSS per per-user subscribed connection, as `memory` has them for the broadcast ones.
      result.peruser.heapKBPerConnection = (subscribed.memory.heapUsed - before.memory.heapUsed) / 1024 / Math.max(1, perUser.ok);
      result.peruser.rssKBPerConnection = (subscribed.memory.rss - before.memory.rss) / 1024 / Math.max(1, perUser.ok);
      if (options.burstRounds > 0) {
        result.peruserBurst = await runBurst([server], clients, 'peruser', n, options.burstRounds, perUser.withSubscribers, perUser.ok);
      }
      await closeAll(clients, [server], [mem0.fds]);
    }
  } catch (error) {
    result.error = String(error?.message ?? error);
    await closeAll(clients).catch(() => {});
  } finally {
    await server.request('stop', {}, 30_000).catch(() => server.process.kill('SIGKILL'));
    await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
  }
  return result;
}

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * `--topology=two-redis`: two Tessera processes (each its own port and its own
 * 20,000-file limit) on one Redis and one PostgreSQL, n sockets on each (2n
 * users); every client process spreads its share over both nodes in turn.
 * Every publish is made on node A: a broadcast reaches A's sockets and, through
 * Redis, B's; per-user rounds publish all 2n users' topics on A, half of them
 * delivered on B. Reports CPU summed over the nodes and per node, and Redis's
 * own CPU, per delivery and per publish.
 */
async function benchTwoRedis(n, clients, options) {
  const { Redis } = await import('ioredis');
  const stamp = Date.now();
  const database = await scratchDatabase(`tessera_bench_${stamp}`);
  const prefix = `tessera-bench-${stamp}:`;
  const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
  const env = {
    BENCH_ORIGIN: ORIGIN,
    BENCH_TESSERA_FROM: options.tesseraFrom,
    NODE_ENV: 'production',
    BENCH_TESSERA_DATABASE_URL: database.url,
    BENCH_TESSERA_REDIS_URL: REDIS_URL,
    BENCH_TESSERA_REDIS_PREFIX: prefix,
  };
  const execArgv = ['--expose-gc', ...(options.tesseraFrom === 'src' ? ['--import', 'tsx'] : [])];
  const total = 2 * n;
  const rounds = options.rounds ?? Math.max(5, Math.min(100, Math.round(150_000 / total)));
  const result = { server: 'tessera×2 (Redis, PostgreSQL)', topology: 'two-redis', n: total, perNode: n, rounds };
  const servers = [];
  try {
    // One after the other: the first runs the migrations.
    servers.push(await Child.start(join(here, 'servers', 'tessera.mjs'), { execArgv, env, cpus: options.pin?.server }));
    servers.push(await Child.start(join(here, 'servers', 'tessera.mjs'), { execArgv, env, cpus: options.pin?.server }));
    const [a] = servers;
    const t = Date.now();
    await a.request('prepare', { n: total }, 1_800_000);
    result.prepareSeconds = (Date.now() - t) / 1000;

    const usage = (gc) => Promise.all(servers.map((s) => s.request('usage', { gc })));
    const sumMemory = (list, key) => list.reduce((acc, u) => acc + u.memory[key], 0);
    const { tokens } = await a.request('tickets', { n: total });
    const mem0 = await usage(true);
    const baselines = mem0.map((u) => u.fds);
    const connect = await connectAll(servers, clients, tokens, 'broadcast', options);
    await sleep(500);
    const afterConnect = await usage(false);
    const connectCpu = servers.reduce((acc, _, k) => acc + cpuMicros(mem0[k].cpu, afterConnect[k].cpu).total, 0);
    result.connect = {
      ok: connect.ok,
      failed: connect.failed,
      wallMs: connect.wallMs,
      perSecond: (connect.ok / connect.wallMs) * 1000,
      serverCpuUsPerConnection: connectCpu / Math.max(1, connect.ok),
      socketsPerNode: afterConnect.map((u, k) => u.fds - baselines[k]),
    };
    const warm = await warmUp(a, 'broadcast', total, connect.withSubscribers);
    const mem1 = await usage(true);
    result.memory = {
      connections: connect.ok,
      allSubscribed: warm,
      heapKBPerConnection: (sumMemory(mem1, 'heapUsed') - sumMemory(mem0, 'heapUsed')) / 1024 / Math.max(1, connect.ok),
      rssKBPerConnection: (sumMemory(mem1, 'rss') - sumMemory(mem0, 'rss')) / 1024 / Math.max(1, connect.ok),
    };
    if (options.scenarios.includes('broadcast')) {
      result.broadcast = await runRounds(servers, clients, 'broadcast', total, rounds, connect.withSubscribers, connect.ok, redis);
      if (options.burstRounds > 0) {
        result.broadcastBurst = await runBurst(servers, clients, 'broadcast', total, options.burstRounds, connect.withSubscribers, connect.ok, redis);
      }
    }
    await closeAll(clients, servers, baselines);

    if (options.scenarios.includes('peruser')) {
      const { tokens: again } = await a.request('tickets', { n: total });
      const before = await usage(true);
      const perUser = await connectAll(servers, clients, again, 'peruser', options);
      await sleep(500);
      await warmUp(a, 'peruser', total, perUser.withSubscribers);
      const subscribed = await usage(true);
      result.peruser = await runRounds(servers, clients, 'peruser', total, rounds, perUser.withSubscribers, perUser.ok, redis);
      result.peruser.connections = perUser.ok;
      result.peruser.heapKBPerConnection = (sumMemory(subscribed, 'heapUsed') - sumMemory(before, 'heapUsed')) / 1024 / Math.max(1, perUser.ok);
      result.peruser.rssKBPerConnection = (sumMemory(subscribed, 'rss') - sumMemory(before, 'rss')) / 1024 / Math.max(1, perUser.ok);
      if (options.burstRounds > 0) {
        result.peruserBurst = await runBurst(servers, clients, 'peruser', total, options.burstRounds, perUser.withSubscribers, perUser.ok, redis);
      }
      await closeAll(clients, servers, baselines);
    }
  } catch (error) {
    result.error = String(error?.message ?? error);
    await closeAll(clients).catch(() => {});
  } finally {
    for (const server of servers) {
      await server.request('stop', {}, 30_000).catch(() => server.process.kill('SIGKILL'));
      await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
    }
    // The run's keys (spent tickets, presence, lease) go with it.
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
    await database.drop().catch((error) => process.stderr.write(`bench: could not drop the scratch database: ${error.message}\n`));
  }
  return result;
}

/**
 * The two-process table: the one-process run at the per-node size next to the
 * two nodes on Redis, paced and burst rows; `header`: the run's line first.
 */
function twoRedisMarkdown(report, header = true) {
  const f = (v, d = 1) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(d));
  const lat = (s) => (s === undefined ? '-' : `${f(s.latencyMs.p50)} / ${f(s.latencyMs.p99)} / ${f(s.latencyMs.max)}`);
  const lines = header
    ? [
        `Run of ${report.meta.startedAt} (\`${report.meta.command}\`), Node ${report.meta.node}, ${report.meta.cpus} CPUs, ${report.meta.clients} client processes, ${Math.round(report.meta.durationSeconds)} s, load average at the end ${report.meta.loadAverage.map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min).`,
        '',
      ]
    : [];
  lines.push(
    '| run | sockets | scenario | server µs/delivery (nodes summed) | per node µs/delivery | Redis µs/delivery | server µs/publish | Redis µs/publish | p50 / p99 / max ms | time to last ms (mean) | missing | closed by server | heap KB/conn | RSS KB/conn | connect µs/conn |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of report.results) {
    if (r.error !== undefined) {
      lines.push(`| ${r.server} | ${r.n} | failed: ${r.error.slice(0, 80)} | | | | | | | | | | | | |`);
      continue;
    }
    for (const [key, label] of [
      ['broadcast', 'broadcast, paced'],
      ['broadcastBurst', 'broadcast, burst'],
      ['peruser', 'per user, paced'],
      ['peruserBurst', 'per user, burst'],
    ]) {
      const s = r[key];
      if (s === undefined) continue;
      const broadcast = key.startsWith('broadcast');
      const publishes = s.publishes ?? (broadcast ? s.rounds : s.rounds * r.n);
      const heap = key === 'broadcast' ? r.memory?.heapKBPerConnection : key === 'peruser' ? s.heapKBPerConnection : undefined;
      const rss = key === 'broadcast' ? r.memory?.rssKBPerConnection : key === 'peruser' ? s.rssKBPerConnection : undefined;
      lines.push(
        `| ${r.server} | ${r.n} | ${label} | ${f(s.serverCpuUsPerDelivery)} | ${s.nodeCpuUsPerDelivery?.map((v) => f(v)).join(' + ') ?? '-'} | ${f(s.redisCpuUsPerDelivery)} | ${f((s.serverCpuUsPerDelivery * s.deliveries) / publishes)} | ${f(s.redisCpuUsPerPublish)} | ${lat(s)} | ${f(s.timeToLastMs.mean)} | ${s.missing} | ${s.closedByServer ?? '-'} | ${f(heap)} | ${f(rss)} | ${key === 'broadcast' ? f(r.connect?.serverCpuUsPerConnection, 0) : '-'} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function versions() {
  const read = (name) => {
    try {
      return JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      return undefined;
    }
  };
  return Object.fromEntries(['graphql', 'graphql-ws', 'graphql-yoga', 'mercurius', 'fastify', 'ws', 'graphql-subscriptions'].map((n) => [n, read(n)]));
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  mkdirSync(options.outDir, { recursive: true });
  const startedAt = new Date();
  // This process's own threads too (the workers it starts later inherit the mask).
  if (options.pin !== undefined) execFileSync('taskset', ['-apc', options.pin.clients, String(process.pid)], { stdio: 'ignore' });
  const clients = await Promise.all(
    Array.from({ length: options.clients }, (_, k) =>
      Child.start(join(here, 'client.mjs'), { onEvent: (m) => onClientEvent(k, m), cpus: options.pin?.clients }),
    ),
  );
  if (options.topology === 'two-redis') return mainTwoRedis(options, clients, startedAt);
  const results = [];
  let twoProcess;
  try {
    for (const n of options.sizes) checkFileLimit(n, n, options.clients);
    if (options.topology === 'full') for (const n of options.twoProcessSizes) checkFileLimit(n, 2 * n, options.clients);
    for (const n of options.sizes) {
      for (const name of options.servers) {
        process.stderr.write(`bench: ${name} at N=${n} ... `);
        const t = Date.now();
        const result = await benchOne(name, n, clients, options);
        result.seconds = (Date.now() - t) / 1000; // wall time of this server at this N, for the full run's estimate
        results.push(result);
        process.stderr.write(`${result.error === undefined ? 'done' : `FAILED: ${result.error}`} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
      }
    }
    // The full run goes on with the two-process run (what `--topology=two-redis` runs alone).
    if (options.topology === 'full') {
      const t = Date.now();
      twoProcess = { sizes: options.twoProcessSizes, results: await runTwoProcess(options.twoProcessSizes, clients, options) };
      twoProcess.durationSeconds = (Date.now() - t) / 1000;
    }
  } finally {
    for (const client of clients) client.process.disconnect();
  }
  const report = {
    meta: {
      ...runMeta('bench/run.mjs', startedAt),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadAverage: loadavg(),
      clients: options.clients,
      sizes: options.sizes,
      servers: options.servers,
      topology: options.topology,
      burstRounds: options.burstRounds,
      tesseraFrom: options.tesseraFrom,
      versions: versions(),
    },
    results,
    ...(twoProcess === undefined ? {} : { twoProcess }),
  };
  report.evaluation = evaluate(results);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const name = options.quick ? `quick-${stamp}` : stamp;
  writeFileSync(join(options.outDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const svg = renderSvg(report);
  writeFileSync(join(options.outDir, `${name}.svg`), svg);
  const twoMarkdown = twoProcess === undefined ? undefined : twoRedisMarkdown({ meta: report.meta, results: twoProcess.results }, false);
  if (!options.quick) {
    writeFileSync(join(options.outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(options.outDir, 'latest.svg'), svg);
    const markdown = renderMarkdown(report);
    writeFileSync(join(options.outDir, 'latest.md'), twoMarkdown === undefined ? markdown : `${markdown}\n**Two processes on Redis and PostgreSQL** (${twoProcess.sizes.map((n) => `2 × ${n}`).join(', ')}; the one-process row is Tessera alone at the per-node size)\n\n${twoMarkdown}`);
    if (twoProcess !== undefined) writeFileSync(join(options.outDir, 'two-redis-latest.md'), twoRedisMarkdown({ meta: report.meta, results: twoProcess.results }));
  }
  printReport(report);
  if (twoMarkdown !== undefined) process.stdout.write(`\nTwo processes on Redis and PostgreSQL\n\n${twoMarkdown}`);
  process.stdout.write(`\nwrote ${join(options.outDir, `${name}.json`)} and .svg\n`);
  const failed = (list) => list.some((r) => r.error !== undefined);
  if (failed(results) || (twoProcess !== undefined && failed(twoProcess.results))) process.exitCode = 1;
}

/** For each per-node size n: one Tessera process at n (in-process bus, SQLite), then two on Redis and PostgreSQL at 2 × n. */
async function runTwoProcess(sizes, clients, options) {
  const results = [];
  for (const n of sizes) {
    for (const [label, run] of [
      [`tessera (one process) at N=${n}`, () => benchOne('tessera', n, clients, options)],
      [`tessera×2 on Redis at N=2×${n}`, () => benchTwoRedis(n, clients, options)],
    ]) {
      process.stderr.write(`bench: ${label} ... `);
      const t = Date.now();
      const result = await run();
      result.seconds = (Date.now() - t) / 1000;
      results.push(result);
      process.stderr.write(`${result.error === undefined ? 'done' : `FAILED: ${result.error}`} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
    }
  }
  return results;
}

/** `--topology=two-redis`: the two-process run alone, in its own result files. */
async function mainTwoRedis(options, clients, startedAt) {
  let results = [];
  try {
    for (const n of options.sizes) checkFileLimit(n, 2 * n, options.clients);
    results = await runTwoProcess(options.sizes, clients, options);
  } finally {
    for (const client of clients) client.process.disconnect();
  }
  const report = {
    meta: {
      ...runMeta('bench/run.mjs', startedAt),
      cpus: cpus().length,
      loadAverage: loadavg(),
      clients: options.clients,
      sizes: options.sizes,
      topology: options.topology,
      burstRounds: options.burstRounds,
      tesseraFrom: options.tesseraFrom,
    },
    results,
  };
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const name = `${options.quick ? 'quick-' : ''}two-redis-${stamp}`;
  writeFileSync(join(options.outDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = twoRedisMarkdown(report);
  if (!options.quick) writeFileSync(join(options.outDir, 'two-redis-latest.md'), markdown);
  process.stdout.write(`\n${markdown}\nwrote ${join(options.outDir, `${name}.json`)}\n`);
  if (results.some((r) => r.error !== undefined)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
