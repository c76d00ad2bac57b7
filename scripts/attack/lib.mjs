/**
 * What the attack script needs to drive a real server: start one with default
 * settings and read its own figures, HTTP from a chosen loopback address with
 * a cookie jar, sockets that can stop reading, and a prober standing for
 * "another client" whose requests must keep being answered.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A Tessera process with default settings (but port and data folder), with the monitor preloaded. */
export class Target {
  #pending = [];

  static async start(root, env = {}) {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-attack-'));
    const log = openSync(join(dataDir, 'server.log'), 'a');
    const child = fork(join(root, 'dist/src/main.js'), [], {
      cwd: dataDir,
      execArgv: ['--expose-gc', '--import', new URL('./monitor.mjs', import.meta.url).href],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', log, log, 'ipc'],
    });
    const target = new Target(child, port, dataDir);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}; see ${dataDir}/server.log`);
      try {
        if ((await fetch(`${target.url}/healthz`)).ok) return target;
      } catch {}
      await sleep(100);
    }
    throw new Error('server did not start within 30 s');
  }

  constructor(child, port, dataDir) {
    this.child = child;
    this.port = port;
    this.dataDir = dataDir;
    this.url = `http://127.0.0.1:${port}`;
    this.wsUrl = `ws://127.0.0.1:${port}/graphql`;
    this.origin = `http://127.0.0.1:${port}`;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.on('message', (message) => {
      const index = this.#pending.findIndex((p) => p.type === message.type);
      if (index !== -1) this.#pending.splice(index, 1)[0].resolve(message);
    });
  }

  get alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  #ask(type, answer) {
    return new Promise((resolve, reject) => {
      if (!this.alive) return reject(new Error('server is gone'));
      this.#pending.push({ type: answer, resolve });
      this.child.send({ type });
    });
  }

  reset() {
    return this.#ask('reset', 'reset-done');
  }

  stats() {
    return this.#ask('stats', 'stats');
  }

  async gc() {
    await this.#ask('gc', 'gc-done');
  }

  async stop() {
    if (!this.alive) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

/** HTTP from one loopback address, keeping the cookies the server sets. */
export class Client {
  cookies = new Map();

  constructor(target, address = '127.0.0.1', { maxSockets = 16 } = {}) {
    this.target = target;
    this.address = address;
    this.agent = new http.Agent({ keepAlive: true, maxSockets, localAddress: address });
  }

  cookieHeader() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** POSTs a GraphQL request; resolves { status, body, ms } (body parsed when JSON). */
  gql(query, variables, { timeoutMs = 30_000 } = {}) {
    const payload = JSON.stringify(variables === undefined ? { query } : { query, variables });
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    const cookie = this.cookieHeader();
    if (cookie !== '') headers.cookie = cookie;
    return this.request('POST', '/graphql', headers, payload, timeoutMs);
  }

  get(path, { timeoutMs = 30_000 } = {}) {
    return this.request('GET', path, {}, undefined, timeoutMs);
  }

  request(method, path, headers, payload, timeoutMs) {
    const started = performance.now();
    return new Promise((resolve) => {
      const request = http.request(
        { host: '127.0.0.1', port: this.target.port, method, path, headers, agent: this.agent, timeout: timeoutMs },
        (response) => {
          for (const line of response.headers['set-cookie'] ?? []) {
            const [pair, ...attributes] = line.split(';');
            const eq = pair.indexOf('=');
            const name = pair.slice(0, eq).trim();
            const value = pair.slice(eq + 1).trim();
            const expired = attributes.some((a) => /^\s*max-age=0/i.test(a)) || value === '';
            if (expired) this.cookies.delete(name);
            else this.cookies.set(name, value);
          }
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let body = text;
            try {
              body = JSON.parse(text);
            } catch {}
            resolve({ status: response.statusCode, body, bytes: text.length, ms: performance.now() - started });
          });
          response.on('error', () => resolve({ status: 0, body: undefined, bytes: 0, ms: performance.now() - started }));
        },
      );
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', (error) => resolve({ status: 0, error: error.message, body: undefined, bytes: 0, ms: performance.now() - started }));
      request.end(payload);
    });
  }

  close() {
    this.agent.destroy();
  }
}

/** The GraphQL error code of a response, or 'ok'. */
export function outcome(response) {
  if (response.status === 0) return `network:${response.error ?? 'closed'}`;
  const code = response.body?.errors?.[0]?.extensions?.code;
  if (code !== undefined) return code;
  if (response.status >= 400) return `http ${response.status}`;
  return 'ok';
}

/** Counts outcomes: { ok: 3, RATE_LIMITED: 97 }. */
export function tally(into, key) {
  into[key] = (into[key] ?? 0) + 1;
  return into;
}

/** Runs `count` tasks with at most `concurrency` at once, stopping early at `deadline`. */
export async function pool(count, concurrency, task, deadline = Infinity) {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count && Date.now() < deadline) await task(next++);
  });
  await Promise.all(workers);
  return next;
}

/** A graphql-transport-ws socket from one loopback address. */
export function openSocket(target, { address = '127.0.0.1', origin = target.origin } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target.wsUrl, 'graphql-transport-ws', { origin, localAddress: address, perMessageDeflate: false });
    ws.closedWith = new Promise((done) => ws.once('close', (code, reason) => done({ code, reason: reason.toString() })));
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Sends connection_init and waits for the ack. */
export function initSocket(ws, payload) {
  return new Promise((resolve, reject) => {
    const onMessage = (data) => {
      const message = JSON.parse(data.toString());
      if (message.type === 'connection_ack') {
        ws.off('message', onMessage);
        resolve();
      }
    };
    ws.on('message', onMessage);
    ws.closedWith.then((close) => reject(new Error(`closed before ack: ${close.code} ${close.reason}`)));
    ws.send(JSON.stringify(payload === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload }));
  });
}

/**
 * Stands for another client during an attack: GET /healthz every 100 ms, and a
 * signed-in user's query every 500 ms; records the worst latency and failures.
 */
export class Bystander {
  health = { count: 0, failed: 0, worstMs: 0 };
  query = { count: 0, failed: 0, worstMs: 0 };
  #running = false;
  #loops = [];

  constructor(target) {
    this.client = new Client(target, '127.0.0.1', { maxSockets: 2 });
  }

  async signIn() {
    const email = `bystander-${process.pid}-${Date.now()}@example.test`;
    const response = await this.client.gql('mutation ($e: String!) { accountsRegister(email: $e, password: "bystander password") { id } }', { e: email });
    if (outcome(response) !== 'ok') throw new Error(`bystander could not register: ${JSON.stringify(response.body)}`);
  }

  start() {
    this.#running = true;
    const loop = async (record, everyMs, call) => {
      while (this.#running) {
        const response = await call();
        record.count += 1;
        if (response.status !== 200 || outcome(response) !== 'ok') record.failed += 1;
        if (response.ms > record.worstMs) record.worstMs = response.ms;
        await sleep(everyMs);
      }
    };
    this.#loops = [
      loop(this.health, 100, () => this.client.get('/healthz', { timeoutMs: 20_000 })),
      loop(this.query, 500, () => this.client.gql('{ accountsMe { user { email } } }', undefined, { timeoutMs: 20_000 })),
    ];
  }

  async stop() {
    this.#running = false;
    await Promise.all(this.#loops);
    const result = { health: { ...this.health }, query: { ...this.query } };
    this.health = { count: 0, failed: 0, worstMs: 0 };
    this.query = { count: 0, failed: 0, worstMs: 0 };
    return result;
  }
}
