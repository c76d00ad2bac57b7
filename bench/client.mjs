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
import { request as httpRequest } from 'node:http';
import { WebSocket } from 'ws';
import { serveRequests } from './lib/child.mjs';
import { now } from './lib/clock.mjs';
import { subscriptionQueries } from './lib/schema.mjs';

/** @type {Set<WebSocket>} */
let sockets = new Set();
/** SSE streams: the open requests (`import('node:http').ClientRequest`). */
let streams = new Set();
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

/**
 * A subscriber closed by the server (a slow-consumer close, say): rounds that
 * now reached every one still open are complete, so the orchestrator need not
 * wait out its timeout for them; the lost deliveries count as missing.
 */
function completeAfterLoss() {
  for (const [round, times] of arrivals) if (times.length > 0 && times.length >= subscribed) process.send({ round, complete: true });
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
        if (!closingAll) {
          note('closes', `${code} ${reason}`);
          completeAfterLoss();
        }
      }
      settle(false, `${code} ${reason}`);
    });
  });
}

/**
 * Opens one GraphQL-over-SSE stream (distinct connections: a POST with
 * `Accept: text/event-stream`, the ticket in `Authorization: Bearer`, one
 * connection each); resolves true once the stream's 200 arrived.
 * Events are read as `data:` lines of `next` events (or unnamed ones).
 */
function openSse({ url, origin, localAddress, token, query }) {
  return new Promise((resolve) => {
    const body = JSON.stringify({ query });
    const request = httpRequest(url.replace(/^ws/, 'http'), {
      method: 'POST',
      localAddress,
      agent: false,
      headers: {
        accept: 'text/event-stream',
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        origin,
        authorization: `Bearer ${token}`,
      },
    });
    let settled = false;
    const settle = (ok, why) => {
      if (settled) return;
      settled = true;
      if (!ok) note('closes', why);
      resolve(ok);
    };
    request.on('response', (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return settle(false, `HTTP ${response.statusCode}`);
      }
      streams.add(request);
      subscribed++;
      settle(true);
      response.setEncoding('utf8');
      let buffered = '';
      response.on('data', (chunk) => {
        buffered += chunk;
        let end;
        while ((end = buffered.indexOf('\n\n')) !== -1) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data === undefined || (event !== undefined && event !== 'next')) continue;
          onFrame(`{"type":"next","payload":${data}}`);
        }
      });
      response.on('close', () => {
        if (streams.delete(request)) {
          subscribed--;
          if (!closingAll) {
            note('closes', 'stream ended');
            completeAfterLoss();
          }
        }
      });
    });
    request.on('error', (error) => settle(false, error.message));
    request.end(body);
  });
}

let closingAll = false;

const handlers = {
  /** `urls` (several nodes): the j-th token connects to urls[j % urls.length]; `transport`: 'ws' or 'sse'. */
  async connect({ url, urls = [url], origin, localAddress, tokens, scenario, concurrency, transport = 'ws' }) {
    const openOne = transport === 'sse' ? openSse : open;
    closingAll = false;
    const query = subscriptionQueries[scenario];
    const cpu0 = process.cpuUsage();
    const started = now();
    let next = 0;
    let ok = 0;
    const worker = async () => {
      while (next < tokens.length) {
        const j = next++;
        if (await openOne({ url: urls[j % urls.length], origin, localAddress, token: tokens[j], query })) ok++;
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
    for (const request of streams) request.destroy();
    await Promise.all(closing);
    streams = new Set();
    sockets = new Set();
    subscribed = 0;
    arrivals = new Map();
    return {};
  },
};

serveRequests(handlers);
