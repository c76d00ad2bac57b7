// The fan-out writer, before and after: a 64 KiB `next` payload to many subscribers.
//
//   npm run build && node --expose-gc bench/writer.mjs            # all three parts
//   node --expose-gc bench/writer.mjs --fake=15000 --real=2000 --rounds=10 --payload=65536
//
// "copy" (before) is the pre-framed writer Tessera had until this script was written,
// reproduced verbatim below: one Buffer per subscriber holding header, prefix and a copy
// of the payload, written in one socket.write. "shared" (after) is dist's writeNext:
// a small head and the same payload Buffer, corked into one writev.
//
// 1. Fake sockets, retained (N = --fake): Writables that never finish a write, as sockets
//    whose kernel buffer is full; everything written stays queued. Reports the memory the
//    queued frames hold (arrayBuffers after GC) and the bytes the streams count
//    (writableLength, what ws.bufferedAmount reads).
// 2. Fake sockets, discarding (N = --fake): Writables that finish every write at once.
//    Reports CPU per delivery and GCs. ws is a stand-in object with an idle sender.
// 3. Real loopback sockets (N = --real): a ws server here, ws clients in a child process;
//    rounds alternate copy/shared; reports this process's CPU per delivery from the
//    write loop until the child has read the frame on every socket.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const FAKE = Number(args.fake ?? 15_000);
const REAL = Number(args.real ?? 2_000);
const ROUNDS = Number(args.rounds ?? 10);
const PAYLOAD = Number(args.payload ?? 65_536);

if (args.client !== undefined) await client(args.client, Number(args.n));
else await main();

async function main() {
  const root = new URL('../dist/src/gateway/', import.meta.url);
  const { NextPayload } = await import(new URL('fanout/next-payload.js', root));
  const { nextPrefix } = await import(new URL('protocol/frames.js', root));
  const { writeNext } = await import(new URL('ws-next-writer.js', root));
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
  const payload = () => new NextPayload(JSON.stringify({ data: { systemAnnouncements: { id: 'a', message: 'x'.repeat(PAYLOAD - 60), createdAt: '2026-01-01T00:00:00.000Z' } } }));
  const prefix = nextPrefix('1');
  const idle = { _sender: { _state: 0, _queue: [] }, send() { throw new Error('the idle sender is never used'); } };
  // "shared, own ids": every subscriber a different subscription id, so a head each (the worst case).
  const ids = Array.from({ length: Math.max(FAKE, REAL) }, (_, i) => nextPrefix(`subscription-${i}`));
  const writers = {
    copy: (ws, socket, p) => socket.write(textFrame(prefix, p.bytes)),
    shared: (ws, socket, p) => writeNext(ws, socket, prefix, p),
    'shared, own ids': (ws, socket, p, i) => writeNext(ws, socket, ids[i], p),
  };
  let gcs = 0;
  let gcMs = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcs += 1;
      gcMs += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  const settle = async () => {
    for (let i = 0; i < 3; i += 1) {
      globalThis.gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);
  const sample = payload();
  console.log(`payload ${sample.bytes.length} bytes, frame ${sample.head(prefix).length + sample.bytes.length} bytes; Node ${process.version}`);

  if (FAKE > 0) await fake(writers, idle, payload, settle, mb, () => [gcs, gcMs]);
  if (REAL > 0) await real(writers, payload, settle);
}

async function fake(writers, idle, payload, settle, mb, gcStats) {
  console.log(`\n1. fake sockets, retained, N = ${FAKE}: memory the queued frames hold`);
  for (const mode of ['copy', 'shared', 'shared, own ids']) {
    // Like a socket's pending write request, each keeps what it was handed and never completes.
    const sockets = Array.from({ length: FAKE }, () => {
      const held = [];
      const socket = new Writable({
        write(chunk) {
          held.push(chunk);
        },
        writev(chunks) {
          for (const { chunk } of chunks) held.push(chunk);
        },
      });
      socket.held = held;
      return socket;
    });
    const p = payload();
    p.bytes;
    await settle();
    const before = process.memoryUsage().arrayBuffers;
    sockets.forEach((socket, i) => writers[mode](idle, socket, p, i));
    await settle();
    const held = process.memoryUsage().arrayBuffers - before;
    const counted = sockets.reduce((sum, s) => sum + s.writableLength, 0);
    const shared = sockets.every((s) => s.held.at(-1) === p.bytes);
    console.log(`  ${mode.padEnd(15)} arrayBuffers +${mb(held)} MiB (${(held / FAKE).toFixed(1)} B per subscriber); writableLength total ${mb(counted)} MiB; payload Buffer identical on every socket: ${shared}`);
    for (const socket of sockets) socket.destroy();
    await settle();
  }

  console.log(`\n2. fake sockets, discarding, N = ${FAKE}, ${ROUNDS} rounds: CPU per delivery`);
  const sockets = Array.from({ length: FAKE }, () => new Writable({ write(c, e, cb) { cb(); }, writev(c, cb) { cb(); } }));
  for (const mode of ['copy', 'shared', 'shared, own ids', 'copy', 'shared', 'shared, own ids']) {
    await settle();
    const [gcBefore, gcMsBefore] = gcStats();
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let round = 0; round < ROUNDS; round += 1) {
      const p = payload();
      sockets.forEach((socket, i) => writers[mode](idle, socket, p, i));
    }
    const wall = performance.now() - start;
    const used = process.cpuUsage(cpu);
    await new Promise((resolve) => setTimeout(resolve, 100)); // gc entries arrive asynchronously
    const deliveries = FAKE * ROUNDS;
    console.log(`  ${mode.padEnd(15)} ${(((used.user + used.system) / deliveries)).toFixed(2)} µs CPU, ${((wall * 1000) / deliveries).toFixed(2)} µs wall per delivery; ${gcStats()[0] - gcBefore} GCs (${(gcStats()[1] - gcMsBefore).toFixed(0)} ms)`);
  }
  for (const socket of sockets) socket.destroy();
}

async function real(writers, payload, settle) {
  console.log(`\n3. real loopback sockets, N = ${REAL} (clients in a child process), ${ROUNDS} rounds per mode, alternating`);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const accepted = [];
  const http = createServer();
  http.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => accepted.push({ ws, socket })));
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  const child = fork(fileURLToPath(import.meta.url), [`--client=ws://127.0.0.1:${http.address().port}`, `--n=${REAL}`]);
  const fromChild = () => new Promise((resolve) => child.once('message', resolve));
  await fromChild(); // all open
  while (accepted.length < REAL) await new Promise((resolve) => setTimeout(resolve, 10));
  const totals = { copy: { cpu: 0, wall: 0 }, shared: { cpu: 0, wall: 0 } };
  for (let round = 0; round < ROUNDS * 2; round += 1) {
    const mode = round % 2 === 0 ? 'copy' : 'shared';
    await settle();
    const p = payload();
    const done = fromChild();
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (const { ws, socket } of accepted) writers[mode](ws, socket, p);
    await done; // the child read the frame on every socket
    const used = process.cpuUsage(cpu);
    totals[mode].cpu += used.user + used.system;
    totals[mode].wall += performance.now() - start;
  }
  for (const mode of ['copy', 'shared']) {
    console.log(`  ${mode.padEnd(6)} ${(totals[mode].cpu / (REAL * ROUNDS)).toFixed(2)} µs server CPU per delivery; ${(totals[mode].wall / ROUNDS).toFixed(1)} ms to the last subscriber`);
  }
  child.kill();
  for (const { ws } of accepted) ws.terminate();
  await new Promise((resolve) => http.close(resolve));
}

/** The child: opens n clients, says when they are open and when each round reached all of them. */
async function client(url, n) {
  let received = 0;
  const sockets = [];
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, () => new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { perMessageDeflate: false });
        ws.on('message', () => {
          received += 1;
          if (received === n) {
            received = 0;
            process.send('round');
          }
        });
        ws.once('open', resolve).once('error', reject);
        sockets.push(ws);
      })),
    );
  }
  process.send('open');
}

/** The writer before: the whole frame in one new Buffer per subscriber (src/gateway/ws-adapter.ts until this change). */
function textFrame(prefix, tail) {
  const prefixBytes = Buffer.byteLength(prefix);
  const length = prefixBytes + tail.length;
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x81;
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(prefix, header, prefixBytes, 'utf8');
  tail.copy(frame, header + prefixBytes);
  return frame;
}
