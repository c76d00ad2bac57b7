/**
 * One load-generator process. It opens graphql-transport-ws connections from
 * its own source address (127.0.0.x, so that many processes get past the
 * per-process file limit and the per-address port range), authenticates each
 * with its ticket, subscribes, and notes the arrival time of every `next`
 * frame on the shared clock. It tells the orchestrator when a round has
 * reached all of its subscribers.
 *
 * IPC in: connect, collect, close. IPC out: replies (by id) and
 * { round, complete: true } when every live subscriber got that round.
 */
import { WebSocket } from 'ws';
import { now } from './lib/clock.mjs';
import { subscriptionQueries } from './lib/schema.mjs';

/** @type {Set<WebSocket>} */
let sockets = new Set();
let subscribed = 0;
/** round → arrival times */
let arrivals = new Map();
let unexpected = { errors: 0, closes: 0, samples: [] };

function note(kind, detail) {
  unexpected[kind]++;
  if (unexpected.samples.length < 5) unexpected.samples.push(String(detail).slice(0, 200));
}

function roundOf(payload) {
  const data = payload?.data;
  if (data?.systemAnnouncements !== undefined) return Number(data.systemAnnouncements.message.slice(1));
  if (data?.accountsUserCount !== undefined) return data.accountsUserCount;
  return undefined;
}

function onFrame(text) {
  const at = now();
  const message = JSON.parse(text);
  if (message.type === 'next') {
    const round = roundOf(message.payload);
    if (round === undefined) return note('errors', text);
    let times = arrivals.get(round);
    if (times === undefined) arrivals.set(round, (times = []));
    times.push(at);
    if (times.length === subscribed) process.send({ round, complete: true });
  } else if (message.type === 'error') note('errors', text);
  else if (message.type === 'ping') return 'pong';
  return undefined;
}

/** Opens one connection; resolves true once subscribe is sent, false on failure. */
function open({ url, origin, localAddress, token, query }) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', { localAddress, headers: { Origin: origin }, perMessageDeflate: false });
    let settled = false;
    const settle = (ok, why) => {
      if (settled) return;
      settled = true;
      if (!ok) note('closes', why);
      resolve(ok);
    };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { token } })));
    ws.on('message', (data) => {
      const text = data.toString();
      if (!settled) {
        if (text.includes('"connection_ack"')) {
          sockets.add(ws);
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
          subscribed++;
          settle(true);
        } else settle(false, text);
        return;
      }
      if (onFrame(text) === 'pong') ws.send('{"type":"pong"}');
    });
    ws.on('error', (error) => settle(false, error.message));
    ws.on('close', (code, reason) => {
      if (sockets.delete(ws)) {
        subscribed--;
        if (!closingAll) note('closes', `${code} ${reason}`);
      }
      settle(false, `${code} ${reason}`);
    });
  });
}

let closingAll = false;

const handlers = {
  /** `urls` (several nodes): the j-th token connects to urls[j % urls.length]. */
  async connect({ url, urls = [url], origin, localAddress, tokens, scenario, concurrency }) {
    closingAll = false;
    const query = subscriptionQueries[scenario];
    const cpu0 = process.cpuUsage();
    const started = now();
    let next = 0;
    let ok = 0;
    const worker = async () => {
      while (next < tokens.length) {
        const j = next++;
        if (await open({ url: urls[j % urls.length], origin, localAddress, token: tokens[j], query })) ok++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, tokens.length) }, worker));
    return { ok, failed: tokens.length - ok, started, ended: now(), cpu: process.cpuUsage(cpu0) };
  },
  cpu: async () => ({ cpu: process.cpuUsage() }),
  /** Hands over (and forgets) the arrival times per round. */
  async collect() {
    const rounds = Object.fromEntries(arrivals);
    arrivals = new Map();
    const problems = unexpected;
    unexpected = { errors: 0, closes: 0, samples: [] };
    return { rounds, subscribed, problems, cpu: process.cpuUsage() };
  },
  async close() {
    closingAll = true;
    const closing = [...sockets].map(
      (ws) =>
        new Promise((resolve) => {
          ws.once('close', resolve);
          ws.close(1000);
          setTimeout(() => {
            ws.terminate();
            resolve();
          }, 5000).unref();
        }),
    );
    await Promise.all(closing);
    sockets = new Set();
    subscribed = 0;
    arrivals = new Map();
    return {};
  },
};

process.on('message', (message) => {
  handlers[message.cmd](message).then(
    (result) => process.send({ id: message.id, ...result }),
    (error) => process.send({ id: message.id, error: String(error?.stack ?? error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
