/**
 * {@link Metrics} in the Prometheus text format, with prom-client. The calls
 * on the hot path (deliveries, bytes) only add to plain numbers; prom-client
 * reads them in `collect()` when `/metrics` is scraped, so a delivery costs
 * two additions whether anyone scrapes or not. Gauges are read from the
 * engine at scrape time. prom-client's default metrics add the process's
 * CPU, memory, heap and event-loop delay (`nodejs_eventloop_lag_*`).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GatewayGauges, Metrics } from '../index.js';
import { closeCodeLabel, closeReasonLabel, rateLimitScopeLabel, statusLabel, ticketResultLabel } from './labels.js';

const NO_GAUGES: GatewayGauges = {
  sockets: 0,
  authenticatedSockets: 0,
  fanoutGroups: 0,
  topics: 0,
  subscriptionsByField: new Map(),
};

/** Seconds from a session's end to its sockets' close: a few ms on one node, more across Redis. */
const REVOCATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Adds one to `map[key]`. */
function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

export class PrometheusMetrics implements Metrics {
  readonly enabled = true;
  readonly registry = new Registry();
  #gauges: () => GatewayGauges = () => NO_GAUGES;
  // Plain numbers, bumped by the gateway and read by prom-client on a scrape.
  #deliveries = 0;
  #deliveryBytes = 0;
  #published = 0;
  #received = 0;
  readonly #closes = new Map<string, number>();
  readonly #refusals = new Map<string, number>();
  readonly #tickets = new Map<string, number>();
  readonly #rateLimited = new Map<string, number>();
  readonly #revocationDelay: Histogram;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    // Each collect() sets the counters from the plain numbers: prom-client's
    // Counter.inc() per delivery would cost a hash lookup per call.
    const self = this;
    new Gauge({
      name: 'tessera_sockets',
      help: 'Open WebSocket connections (authenticated or not)',
      registers,
      collect() {
        this.set(self.#gauges().sockets);
      },
    });
    new Gauge({
      name: 'tessera_sockets_authenticated',
      help: 'Open WebSocket connections authenticated by a ticket or the session cookie',
      registers,
      collect() {
        this.set(self.#gauges().authenticatedSockets);
      },
    });
    new Gauge({
      name: 'tessera_subscriptions',
      help: 'Running subscriptions, by subscription field',
      labelNames: ['field'],
      registers,
      collect() {
        this.reset();
        for (const [field, count] of self.#gauges().subscriptionsByField) this.set({ field }, count);
      },
    });
    new Gauge({
      name: 'tessera_fanout_groups',
      help: 'Fan-out groups (same document, variables and scope: executed once per event)',
      registers,
      collect() {
        this.set(self.#gauges().fanoutGroups);
      },
    });
    new Gauge({
      name: 'tessera_topics',
      help: 'Topics with at least one subscriber in this process',
      registers,
      collect() {
        this.set(self.#gauges().topics);
      },
    });
    counter('tessera_deliveries_total', 'Subscription `next` frames sent', registers, () => this.#deliveries);
    counter('tessera_delivery_bytes_total', 'Bytes of the `next` frames sent (payload text, without WebSocket framing)', registers, () => this.#deliveryBytes);
    counter('tessera_events_published_total', 'Events this process published (systemAnnounce, the user-count worker)', registers, () => this.#published);
    counter('tessera_events_received_total', 'Events that arrived from the bus for a topic with subscribers here', registers, () => this.#received);
    labelledCounter('tessera_socket_closes_total', 'WebSocket closes by code and reason (client-sent ones outside the known set are "other")', ['code', 'reason'], registers, this.#closes);
    labelledCounter('tessera_upgrade_refusals_total', 'WebSocket upgrades refused, by HTTP status', ['status'], registers, this.#refusals);
    labelledCounter('tessera_ticket_checks_total', 'Socket tickets checked at connection_init, by result', ['result'], registers, this.#tickets);
    labelledCounter('tessera_auth_rate_limited_total', 'Register, login or change-password attempts refused by a rate limit, by scope', ['scope'], registers, this.#rateLimited);
    this.#revocationDelay = new Histogram({
      name: 'tessera_revocation_delay_seconds',
      help: "From a session's end (logout, logout-all, password change, purge) to its sockets' close in this process",
      buckets: REVOCATION_BUCKETS,
      registers,
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  setGaugeSource(source: () => GatewayGauges): void {
    this.#gauges = source;
  }

  socketClosed(code: number, reason: string): void {
    // The key joins two bounded labels; split again at scrape time.
    bump(this.#closes, `${closeCodeLabel(code)}\n${closeReasonLabel(reason)}`);
  }

  delivered(count: number, bytes: number): void {
    this.#deliveries += count;
    this.#deliveryBytes += bytes;
  }

  published(): void {
    this.#published += 1;
  }

  eventReceived(): void {
    this.#received += 1;
  }

  upgradeRefused(status: number): void {
    bump(this.#refusals, statusLabel(status));
  }

  revoked(delaySeconds: number, sockets: number): void {
    // One observation per socket: the histogram tells how long sockets stayed open past their session.
    for (let i = 0; i < sockets; i += 1) this.#revocationDelay.observe(Math.max(0, delaySeconds));
  }

  ticketChecked(result: string): void {
    bump(this.#tickets, ticketResultLabel(result));
  }

  rateLimited(scope: string): void {
    bump(this.#rateLimited, rateLimitScopeLabel(scope));
  }

  /** The scrape: the Prometheus text exposition format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function counter(name: string, help: string, registers: Registry[], read: () => number): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function labelledCounter(name: string, help: string, labelNames: string[], registers: Registry[], values: Map<string, number>): void {
  new Counter({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const [key, count] of values) {
        const parts = key.split('\n');
        const labels: Record<string, string> = {};
        labelNames.forEach((label, index) => (labels[label] = parts[index] ?? ''));
        this.inc(labels, count);
      }
    },
  });
}
