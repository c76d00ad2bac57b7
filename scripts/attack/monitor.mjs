/**
 * Preloaded into the server under attack (`node --import`): samples its heap,
 * RSS, CPU and event-loop delay from inside, and answers the attack script
 * over the IPC channel. Measuring from inside is the only honest way to see
 * the event loop's worst stall; a probe from outside adds its own latency.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let peakRss = 0;
let peakHeap = 0;
let cpuAtReset = process.cpuUsage();

function sample() {
  const { rss, heapUsed } = process.memoryUsage();
  if (rss > peakRss) peakRss = rss;
  if (heapUsed > peakHeap) peakHeap = heapUsed;
}
const sampler = setInterval(sample, 50);
sampler.unref();

process.on('message', (message) => {
  if (message?.type === 'reset') {
    sample();
    const { rss, heapUsed } = process.memoryUsage();
    peakRss = rss;
    peakHeap = heapUsed;
    loop.reset();
    cpuAtReset = process.cpuUsage();
    process.send?.({ type: 'reset-done' });
  } else if (message?.type === 'stats') {
    sample();
    const cpu = process.cpuUsage(cpuAtReset);
    const { rss, heapUsed } = process.memoryUsage();
    process.send?.({
      type: 'stats',
      rss,
      heapUsed,
      peakRss,
      peakHeap,
      maxLoopDelayMs: loop.max / 1e6,
      p99LoopDelayMs: loop.percentile(99) / 1e6,
      cpuMs: (cpu.user + cpu.system) / 1000,
    });
  } else if (message?.type === 'gc') {
    globalThis.gc?.();
    process.send?.({ type: 'gc-done' });
  }
});
// The IPC channel must not keep a drained server alive.
process.channel?.unref();
