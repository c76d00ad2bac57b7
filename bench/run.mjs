#!/usr/bin/env node
/**
 * `npm run bench`: runs Tessera and its peers one after another under the same
 * load generator, in one run, and writes bench/results/<stamp>.json,
 * latest.json, latest.svg and latest.md, then prints a table of ratios.
 *
 *   node bench/run.mjs [--quick] [--sizes=1000,5000,15000] [--servers=raw,tessera,...]
 *                      [--rounds=N] [--clients=4] [--out-dir=DIR] [--tessera-from=dist|src]
 *                      [--cpu-prof=SERVER[,SERVER]] [--heap-snapshot=DIR] [--scenarios=broadcast,peruser]
 *
 * For each server and N: a fresh server process (forked, --expose-gc, driven
 * over IPC) creates N users; then
 *   1. connect: N connections (Origin, ticket, ack, subscribe to the broadcast
 *      field) from the client processes; server CPU per connection, wall rate;
 *   2. memory: heap and RSS per subscribed connection after GC;
 *   3. broadcast: rounds of one publish to all N;
 *   4. per user: N fresh connections, each on its own user's topic; rounds of
 *      N publishes (the user-count worker's pattern).
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMicros, deliveryFigures } from './lib/stats.mjs';
import { evaluate, printReport, renderMarkdown, renderSvg } from './lib/report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const ALL_SERVERS = ['raw', 'tessera', 'graphql-ws', 'yoga', 'mercurius', 'tessera-sse', 'yoga-sse'];
/** `<server>-sse`: the same server process, its clients on GraphQL over SSE (distinct connections) instead of the WebSocket. */
const scriptAndTransport = (name) => (name.endsWith('-sse') ? [name.slice(0, -4), 'sse'] : [name, 'ws']);
const ORIGIN = 'http://bench.local';

function parseArgs(argv) {
  const options = {
    quick: false,
    sizes: [1000, 5000, 15000],
    servers: ALL_SERVERS,
    rounds: undefined,
    clients: 4,
    outDir: join(here, 'results'),
    tesseraFrom: existsSync(join(root, 'dist/src/app.js')) ? 'dist' : 'src',
    cpuProf: [],
    scenarios: ['broadcast', 'peruser'],
    concurrency: 25,
    heapSnapshot: undefined,
  };
  for (const arg of argv) {
    const [key, value = ''] = arg.replace(/^--/, '').split('=');
    if (key === 'quick') {
      options.quick = true;
      options.sizes = [200];
      options.rounds = 1;
      options.clients = 2;
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
    else throw new Error(`unknown option ${arg}`);
  }
  for (const server of options.servers) if (!ALL_SERVERS.includes(server)) throw new Error(`unknown server ${server}`);
  return options;
}

/** A forked process spoken to with request/reply messages. */
class Child {
  #next = 0;
  #pending = new Map();
  constructor(process, onEvent = () => {}) {
    this.process = process;
    this.exited = new Promise((resolve) => process.once('exit', resolve));
    process.on('message', (message) => {
      if (message.id !== undefined && this.#pending.has(message.id)) {
        const { resolve, reject } = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error !== undefined) reject(new Error(message.error));
        else resolve(message);
      } else onEvent(message);
    });
    this.exited.then((code) => {
      for (const { reject } of this.#pending.values()) reject(new Error(`process exited (${code})`));
      this.#pending.clear();
    });
  }
  static async start(script, { execArgv = [], env = {}, onEvent } = {}) {
    const proc = fork(script, [], { cwd: root, execArgv, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let ready;
    const child = new Child(proc, (message) => (message.ready ? ready(message) : onEvent?.(message)));
    const hello = await Promise.race([
      new Promise((resolve) => (ready = resolve)),
      child.exited.then((code) => Promise.reject(new Error(`${script} exited (${code}) before it was ready`))),
    ]);
    child.hello = hello;
    return child;
  }
  request(cmd, args = {}, timeoutMs = 600_000) {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${cmd} timed out`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.process.send({ id, cmd, ...args });
    });
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
  while (Date.now() < deadline) {
    const set = completions.get(round);
    if (set !== undefined && clientsWithSubscribers.every((index) => set.has(index))) return true;
    await new Promise((resolve) => {
      completionWaiter = resolve;
      setTimeout(resolve, 50);
    });
  }
  return false;
}

function split(items, parts) {
  const out = Array.from({ length: parts }, () => []);
  items.forEach((item, i) => out[i % parts].push(item));
  return out;
}

const sumCpu = (list) => list.reduce((a, c) => ({ user: a.user + c.user, system: a.system + c.system }), { user: 0, system: 0 });

async function connectAll(server, clients, tokens, scenario, options) {
  const shares = split(tokens, clients.length);
  const replies = await Promise.all(
    clients.map((client, k) =>
      client.request('connect', {
        url: server.hello.url,
        origin: ORIGIN,
        localAddress: `127.0.0.${2 + k}`,
        tokens: shares[k],
        scenario,
        concurrency: options.concurrency,
        transport: server.transport,
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

async function runRounds(server, clients, kind, n, rounds, withSubscribers, expected) {
  const t0s = new Map();
  const clientCpu0 = sumCpu((await Promise.all(clients.map((c) => c.request('cpu')))).map((r) => r.cpu));
  await Promise.all(clients.map((c) => c.request('collect'))); // drop warm-up arrivals
  const before = await server.request('usage', { gc: false });
  let timedOut = 0;
  for (let round = 1; round <= rounds; round++) {
    const { t0 } = await server.request('publish', { kind, round, n });
    t0s.set(round, t0);
    if (!(await waitRound(round, withSubscribers, 30_000))) timedOut++;
  }
  const after = await server.request('usage', { gc: false });
  const collected = await Promise.all(clients.map((c) => c.request('collect')));
  const clientCpu1 = sumCpu(collected.map((r) => r.cpu));
  const perRound = [...t0s].map(([round, t0]) => ({ t0, arrivals: collected.map((c) => c.rounds[round] ?? []) }));
  const figures = deliveryFigures(perRound, expected);
  const serverCpu = cpuMicros(before.cpu, after.cpu);
  const clientCpu = cpuMicros(clientCpu0, clientCpu1);
  const per = Math.max(1, figures.deliveries);
  return {
    ...figures,
    timedOutRounds: timedOut,
    serverCpuUsPerDelivery: serverCpu.total / per,
    serverUserUsPerDelivery: serverCpu.user / per,
    serverSystemUsPerDelivery: serverCpu.system / per,
    clientCpuUsPerDelivery: clientCpu.total / per,
    problems: collected.map((c) => c.problems).filter((p) => p.errors + p.closes > 0),
  };
}

async function closeAll(clients) {
  await Promise.all(clients.map((c) => c.request('close')));
  await sleep(300);
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
  });
  server.transport = transport;
  const rounds = options.rounds ?? Math.max(5, Math.min(100, Math.round(150_000 / n)));
  const result = { server: name, n, rounds };
  try {
    await server.request('prepare', { n });

    // 1-3: connect, memory, broadcast on one set of connections.
    const { tokens } = await server.request('tickets', { n });
    const mem0 = await server.request('usage', { gc: true });
    const connect = await connectAll(server, clients, tokens, 'broadcast', options);
    await sleep(300); // the last subscribe frames
    const afterConnect = await server.request('usage', { gc: false });
    const connectCpu = cpuMicros(mem0.cpu, afterConnect.cpu);
    result.connect = {
      ok: connect.ok,
      failed: connect.failed,
      wallMs: connect.wallMs,
      perSecond: (connect.ok / connect.wallMs) * 1000,
      serverCpuUsPerConnection: connectCpu.total / Math.max(1, connect.ok),
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
    };
    if (options.scenarios.includes('broadcast')) {
      result.broadcast = await runRounds(server, clients, 'broadcast', n, rounds, connect.withSubscribers, connect.ok);
    }
    await closeAll(clients);

    // 4: per user, on fresh connections.
    if (options.scenarios.includes('peruser')) {
      const { tokens: again } = await server.request('tickets', { n });
      const before = await server.request('usage', { gc: true });
      const perUser = await connectAll(server, clients, again, 'peruser', options);
      await sleep(300); // the last subscribe frames
      await warmUp(server, 'peruser', n, perUser.withSubscribers);
      const subscribed = await server.request('usage', { gc: true });
      if (options.heapSnapshot !== undefined) {
        await server.request('snapshot', { path: join(options.heapSnapshot, `${name}-${n}-peruser.heapsnapshot`) });
      }
      result.peruser = await runRounds(server, clients, 'peruser', n, rounds, perUser.withSubscribers, perUser.ok);
      // Heap and RSS per per-user subscribed connection, as `memory` has them for the broadcast ones.
      result.peruser.heapKBPerConnection = (subscribed.memory.heapUsed - before.memory.heapUsed) / 1024 / Math.max(1, perUser.ok);
      result.peruser.rssKBPerConnection = (subscribed.memory.rss - before.memory.rss) / 1024 / Math.max(1, perUser.ok);
      await closeAll(clients);
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
  const clients = await Promise.all(
    Array.from({ length: options.clients }, (_, k) => Child.start(join(here, 'client.mjs'), { onEvent: (m) => onClientEvent(k, m) })),
  );
  const results = [];
  try {
    for (const n of options.sizes) {
      for (const name of options.servers) {
        process.stderr.write(`bench: ${name} at N=${n} ... `);
        const t = Date.now();
        const result = await benchOne(name, n, clients, options);
        results.push(result);
        process.stderr.write(`${result.error === undefined ? 'done' : `FAILED: ${result.error}`} (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
      }
    }
  } finally {
    for (const client of clients) client.process.disconnect();
  }
  const report = {
    meta: {
      startedAt: startedAt.toISOString(),
      durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
      command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      clients: options.clients,
      sizes: options.sizes,
      servers: options.servers,
      tesseraFrom: options.tesseraFrom,
      versions: versions(),
    },
    results,
  };
  report.evaluation = evaluate(results);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const name = options.quick ? `quick-${stamp}` : stamp;
  writeFileSync(join(options.outDir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const svg = renderSvg(report);
  writeFileSync(join(options.outDir, `${name}.svg`), svg);
  if (!options.quick) {
    writeFileSync(join(options.outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(options.outDir, 'latest.svg'), svg);
    writeFileSync(join(options.outDir, 'latest.md'), renderMarkdown(report));
  }
  printReport(report);
  process.stdout.write(`\nwrote ${join(options.outDir, `${name}.json`)} and .svg\n`);
  if (results.some((r) => r.error !== undefined)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
