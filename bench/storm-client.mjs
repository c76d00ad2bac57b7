/**
 * One load-generator process for scripts/reconnect-storm.mjs. Each of its
 * clients behaves as createTesseraClient (src/client/tessera-client.ts) over
 * graphql-ws does: fetch a fresh ticket over HTTP (`{ accountsMe { token } }`
 * with the sign-in cookie) before opening the socket (the helper does it in
 * graphql-ws's `url` step), then open it and send the ticket in connection_init, subscribe on the ack; on any close or failure wait
 * backoffMs(retries) (the helper's own function, imported from dist/) and try
 * again, retries counting up until an ack resets them (graphql-ws's rule).
 * Written out rather than run through graphql-ws so that every attempt, close
 * code and ticket failure can be counted.
 *
 * IPC in: start, mark, status, close. IPC out: replies by id.
 */
import { request, Agent } from 'node:http';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { serveRequests } from './lib/child.mjs';
import { now } from './lib/clock.mjs';
import { subscriptionQueries } from './lib/schema.mjs';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const { backoffMs } = await import(pathToFileURL(join(root, 'dist/src/client/tessera-client.js')).href);

let settings;
let agent;
/** @type {Client[]} */
let clients = [];
let markAt = Infinity;
let stopping = false;
const counters = { attempts: 0, ticketFailures: 0, ticketStatus: {}, closes: {}, errors: 0, acks: 0 };
let maxRetries = 0;

function bump(map, key) {
  map[key] = (map[key] ?? 0) + 1;
}

/** POST { accountsMe { token } } with the session cookie; resolves the token or throws. */
function fetchTicket(secret) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query: '{ accountsMe { token } }' });
    const req = request(
      settings.httpUrl,
      {
        method: 'POST',
        agent,
        localAddress: settings.localAddress,
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          origin: settings.origin,
          cookie: `tessera_session=${secret}`,
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          if (response.statusCode !== 200) return reject(Object.assign(new Error(`HTTP ${response.statusCode}`), { status: response.statusCode }));
          try {
            const token = JSON.parse(Buffer.concat(chunks).toString()).data?.accountsMe?.token;
            if (typeof token !== 'string') return reject(Object.assign(new Error('no token'), { status: 'no-token' }));
            resolve(token);
          } catch (error) {
            reject(error);
          }
        });
        response.on('error', reject);
      },
    );
    req.on('error', (error) => reject(Object.assign(error, { status: error.code ?? 'error' })));
    req.end(body);
  });
}

class Client {
  retries = 0;
  /** Time of the first `next` on a socket opened after the mark (the restart). */
  recoveredAt = undefined;
  receiving = false;
  ws = undefined;
  constructor(secret) {
    this.secret = secret;
  }

  /** One attempt; resolves once acknowledged or failed (a failure schedules the retry). */
  connect() {
    counters.attempts++;
    const openedAt = now();
    return new Promise((resolve) => {
      let acked = false;
      const retry = () => {
        if (stopping) return;
        const wait = backoffMs(this.retries);
        this.retries++;
        maxRetries = Math.max(maxRetries, this.retries);
        setTimeout(() => this.connect(), wait);
      };
      fetchTicket(this.secret).then(
        (token) => open(token),
        (error) => {
          counters.ticketFailures++;
          bump(counters.ticketStatus, error.status ?? 'error');
          // No socket yet: the attempt fails and is retried, as the helper's does.
          resolve(false);
          retry();
        },
      );
      const open = (token) => {
        const ws = new WebSocket(settings.wsUrl, 'graphql-transport-ws', {
          localAddress: settings.localAddress,
          headers: { Origin: settings.origin },
          perMessageDeflate: false,
        });
        this.ws = ws;
        ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { token } })));
        ws.on('message', (data) => {
          const text = data.toString();
          if (!acked) {
            if (text.includes('"connection_ack"')) {
              acked = true;
              counters.acks++;
              this.retries = 0;
              ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: subscriptionQueries.broadcast } }));
              resolve(true);
            }
            return;
          }
          if (text.includes('"type":"next"')) {
            this.receiving = true;
            if (this.recoveredAt === undefined && openedAt >= markAt) this.recoveredAt = now();
          } else if (text.includes('"type":"ping"')) ws.send('{"type":"pong"}');
        });
        ws.on('error', () => counters.errors++);
        ws.on('close', (code) => {
          bump(counters.closes, code);
          this.receiving = false;
          if (!acked) resolve(false);
          retry();
        });
      };
    });
  }
}

const handlers = {
  /** Connects every secret's client, `concurrency` attempts in flight; then each lives on its own. */
  async start({ wsUrl, httpUrl, origin, localAddress, secrets, concurrency }) {
    settings = { wsUrl, httpUrl, origin, localAddress };
    // Keep-alive, 100 connections per process: the ticket requests of one
    // process's clients share them (real browsers would each bring their own).
    agent = new Agent({ keepAlive: true, maxSockets: 100 });
    clients = secrets.map((secret) => new Client(secret));
    let next = 0;
    let ok = 0;
    const worker = async () => {
      while (next < clients.length) if (await clients[next++].connect()) ok++;
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, worker));
    return { ok };
  },
  /** From now on a client counts as recovered at its first event on a socket opened after `at`. */
  async mark({ at }) {
    markAt = at;
    for (const client of clients) client.recoveredAt = undefined;
    return {};
  },
  async status({ times = false }) {
    const recovered = clients.filter((c) => c.recoveredAt !== undefined);
    return {
      total: clients.length,
      receiving: clients.filter((c) => c.receiving).length,
      recovered: recovered.length,
      recoveredAt: times ? recovered.map((c) => c.recoveredAt) : [],
      counters,
      maxRetries,
    };
  },
  async close() {
    stopping = true;
    for (const client of clients) client.ws?.terminate();
    agent?.destroy();
    return {};
  },
};

serveRequests(handlers);
