/** Percentiles and the per-scenario figures computed from raw arrival times. */

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export const cpuMicros = (a, b) => ({ user: b.user - a.user, system: b.system - a.system, total: b.user - a.user + (b.system - a.system) });

/**
 * @param rounds [{ t0, arrivals: number[][] }] arrival times per client, per round
 * @param expected subscribers per round
 */
export function deliveryFigures(rounds, expected) {
  let deliveries = 0;
  let busyMs = 0;
  const lastMs = [];
  const latencies = [];
  for (const { t0, arrivals } of rounds) {
    let last = t0;
    for (const times of arrivals) {
      for (const at of times) {
        latencies.push(at - t0);
        if (at > last) last = at;
      }
      deliveries += times.length;
    }
    lastMs.push(last - t0);
    busyMs += last - t0;
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    rounds: rounds.length,
    deliveries,
    missing: expected * rounds.length - deliveries,
    deliveriesPerSecond: busyMs > 0 ? (deliveries / busyMs) * 1000 : 0,
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: percentile(sorted, 100) },
    timeToLastMs: { mean: lastMs.reduce((a, b) => a + b, 0) / Math.max(1, lastMs.length), max: Math.max(0, ...lastMs) },
  };
}

/**
 * The burst scenario's figures: every round issued back to back.
 * @param t0s when each round's publishes began (round k: t0s[k])
 * @param arrivals per round, arrival times per client: arrivals[k] is number[][]
 * @param expected subscribers per round
 * Latency is arrival − that round's own t0; `timeToLastMs` is from the first
 * publish to the last subscriber getting the last round (mean = max: one
 * burst); deliveries per second over that span.
 */
export function burstFigures(t0s, arrivals, expected) {
  let deliveries = 0;
  let last = t0s[0];
  const latencies = [];
  t0s.forEach((t0, k) => {
    for (const times of arrivals[k]) {
      for (const at of times) {
        latencies.push(at - t0);
        if (at > last) last = at;
      }
      deliveries += times.length;
    }
  });
  const sorted = Float64Array.from(latencies).sort();
  const spanMs = last - t0s[0];
  return {
    rounds: t0s.length,
    deliveries,
    missing: expected * t0s.length - deliveries,
    deliveriesPerSecond: spanMs > 0 ? (deliveries / spanMs) * 1000 : 0,
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: percentile(sorted, 100) },
    timeToLastMs: { mean: spanMs, max: spanMs },
  };
}
