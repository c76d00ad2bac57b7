/**
 * What the gateway tells about itself, for operators: a small interface the
 * engine, the socket adapter and the services call, with a no-op
 * implementation when metrics are off (METRICS=off, the default).
 *
 * Every call is cheap by contract: the Prometheus implementation
 * (prometheus.ts) only adds to plain numbers, which prom-client reads when it
 * is scraped. Nothing here takes a user id, a session id or a topic: label
 * values come from small fixed sets (see labels.ts).
 */

/** The gauges read at scrape time from whoever holds them (the engine), rather than tracked per event. */
export interface GatewayGauges {
  /** Open sockets, authenticated or not. */
  readonly sockets: number;
  /** Sockets authenticated by a ticket or the session cookie. */
  readonly authenticatedSockets: number;
  /** Fan-out groups (document, variables, scope) with at least one subscriber. */
  readonly fanoutGroups: number;
  /** Topics with at least one local subscriber. */
  readonly topics: number;
  /** Running subscriptions, by subscription field. */
  readonly subscriptionsByField: ReadonlyMap<string, number>;
}

export interface Metrics {
  /** False for the no-op implementation: callers may skip work done only for metrics. */
  readonly enabled: boolean;
  /** The engine (or whoever holds the sockets) that the gauges are read from at scrape time. */
  setGaugeSource(source: () => GatewayGauges): void;
  /** A socket closed, by either side, with the code and reason on the wire. */
  socketClosed(code: number, reason: string): void;
  /** `count` `next` frames of `bytes` bytes in all (payload text, without WebSocket framing) were sent. */
  delivered(count: number, bytes: number): void;
  /** An event was published by this process (to every process). */
  published(): void;
  /** An event arrived from the bus for a topic with local subscribers. */
  eventReceived(): void;
  /** A WebSocket upgrade was refused with this HTTP status. */
  upgradeRefused(status: number): void;
  /** A revocation closed `sockets` sockets here, `delaySeconds` after the session ended. */
  revoked(delaySeconds: number, sockets: number): void;
  /** A ticket presented in `connection_init` was checked: `ok`, or the refusal reason. */
  ticketChecked(result: string): void;
  /** An auth attempt (register, login, change password) was refused by a rate limit (`ip` or `email`). */
  rateLimited(scope: string): void;
}

function nothing(): void {}

/** Metrics off: every call does nothing. */
export const NO_METRICS: Metrics = {
  enabled: false,
  setGaugeSource: nothing,
  socketClosed: nothing,
  delivered: nothing,
  published: nothing,
  eventReceived: nothing,
  upgradeRefused: nothing,
  revoked: nothing,
  ticketChecked: nothing,
  rateLimited: nothing,
};
