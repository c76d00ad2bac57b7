/**
 * The server side of the bench's IPC: every server module under servers/
 * calls `serve(start)`; the orchestrator (run.mjs) then drives it with
 * messages: prepare users, issue tickets, publish, and report its own CPU
 * time and memory (after forced GCs; the child runs with --expose-gc).
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { now } from './clock.mjs';

/** Open file descriptors of this process (Linux /proc): sockets still held after the clients closed show here. */
function openFds() {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** Sampled every 10 ms once `loop` is first asked for (the ratio runs never ask). */
const LOOP_RESOLUTION_MS = 10;
let loopDelay;

/**
 * @param start async ({ host, origin }) => ({ url, prepare(n), tickets(n) → string[],
 *   broadcast(round), publishUser(index, round), close() })
 */
export async function serve(start) {
  const origin = process.env.BENCH_ORIGIN ?? 'http://bench.local';
  const server = await start({ host: '127.0.0.1', origin });
  const handlers = {
    prepare: async ({ n }) => {
      await server.prepare(n);
      return {};
    },
    tickets: async ({ n }) => ({ tokens: await server.tickets(n) }),
    usage: async ({ gc }) => {
      if (gc) {
        for (let i = 0; i < 4; i++) {
          globalThis.gc();
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      return { cpu: process.cpuUsage(), memory: process.memoryUsage(), fds: openFds(), at: now() };
    },
    /** Event-loop lag (ms) since the last call: p50, p99, max, mean (undefined on the first call, which starts it); then starts again. */
    loop: async () => {
      if (loopDelay === undefined) {
        loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
        loopDelay.enable();
      }
      // The histogram holds whole sampling intervals: the lag is what exceeds the resolution.
      const ms = (ns) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
      const figures = loopDelay.count === 0 ? undefined : { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max), mean: ms(loopDelay.mean) };
      loopDelay.reset();
      return { loop: figures };
    },
    /** Session secrets (the sign-in cookie's value) for users 0..n-1, for clients that fetch tickets over HTTP. */
    secrets: async ({ n }) => {
      if (server.secrets === undefined) throw new Error('this server has no session secrets');
      return { secrets: await server.secrets(n) };
    },
    /** For finding what a connection holds: `--heap-snapshot=DIR`. */
    snapshot: async ({ path }) => ({ path: writeHeapSnapshot(path) }),
    publish: async ({ kind, round, n }) => {
      const t0 = now();
      if (kind === 'broadcast') await server.broadcast(round);
      else for (let i = 0; i < n; i++) server.publishUser(i, round);
      return { t0 };
    },
    /**
     * The burst scenario: every round published back to back, none waited for
     * (for per-user, rounds × n publishes); `t0s[k]` is noted just before
     * round k's publishes. Broadcast publishes are issued without awaiting one
     * another, then awaited together.
     */
    burst: async ({ kind, rounds, n }) => {
      const t0s = [];
      const pending = [];
      for (const round of rounds) {
        t0s.push(now());
        if (kind === 'broadcast') pending.push(server.broadcast(round));
        else for (let i = 0; i < n; i++) server.publishUser(i, round);
      }
      await Promise.all(pending);
      return { t0s, issuedMs: now() - t0s[0] };
    },
    stop: async () => {
      await server.close();
      setImmediate(() => process.exit(0));
      return {};
    },
  };
  process.on('message', (message) => {
    const handler = handlers[message.cmd];
    if (handler === undefined) {
      process.send({ id: message.id, error: `unknown command ${message.cmd}` });
      return;
    }
    handler(message).then(
      (result) => process.send({ id: message.id, ...result }),
      (error) => process.send({ id: message.id, error: String(error?.stack ?? error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true, url: server.url });
}
