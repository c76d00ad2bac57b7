/** Reads and validates Tessera's configuration from environment variables. */

export interface Config {
  readonly port: number;
  readonly host: string;
  /** `development` (the default), `production` or `test`; anything else is refused. */
  readonly nodeEnv: 'development' | 'production' | 'test';
  /** `undefined` means the embedded SQLite file `<dataDir>/tessera.db`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key and channel, so that several deployments can share one Redis. */
  readonly redisKeyPrefix: string;
  readonly allowedOrigins: readonly string[];
  readonly cookieSecure: boolean;
  readonly sessionIdleTtlSeconds: number;
  readonly sessionAbsoluteTtlSeconds: number;
  /**
   * How often each process re-checks, in the store, every session it holds sockets for
   * (one query per 500), closing those that ended: revocations the bus lost (Redis
   * down, a node reconnecting) close within this period plus the re-check's time.
   */
  readonly sessionRecheckSeconds: number;
  readonly ticketTtlSeconds: number;
  /** HMAC keys for socket tickets; the first signs, all verify. Empty: generated and kept in `dataDir`. */
  readonly ticketSecrets: readonly string[];
  readonly userCountIntervalMs: number;
  readonly logLevel: string;
  readonly bodyLimitBytes: number;
  readonly maxDocumentBytes: number;
  readonly maxQueryDepth: number;
  /** Most aliased fields in one document (fragments counted where spread). */
  readonly maxAliases: number;
  /** Most fields at the root of a document's operations. */
  readonly maxRootFields: number;
  /** Most `__schema`/`__type` selections in one document; each walks the whole schema. */
  readonly maxIntrospectionFields: number;
  /** Most fields in one document, every level and fragment spread counted. */
  readonly maxFields: number;
  /**
   * The document cache's budget in bytes (estimated from each document's tokens):
   * the documents of live subscriptions are held in it, shared, and count too.
   */
  readonly documentCacheBytes: number;
  /** Largest result (JSON bytes) sent for a query or mutation, over HTTP or the socket. */
  readonly maxResponseBytes: number;
  /** Sign-in attempts (register, login, change password) per client address per window. */
  readonly authRateLimitPerIp: number;
  /** Attempts per email per window from all clients without a device cookie for it together. */
  readonly authRateLimitPerEmail: number;
  /** Attempts per (email, address) per window from clients without a device cookie for it. */
  readonly authRateLimitPerEmailAddress: number;
  /** Attempts per device cookie per window (a known browser is exempt from the per-email limit, not from this). */
  readonly authRateLimitPerDevice: number;
  readonly authRateLimitWindowSeconds: number;
  /**
   * Most attempt counters kept in memory (without Redis); past it, ended windows go
   * first, then the oldest. With REDIS_URL the counters live in Redis, which expires them.
   */
  readonly authRateLimitMaxKeys: number;
  readonly wsInitTimeoutMs: number;
  readonly wsMaxMessageBytes: number;
  readonly wsMaxSubscriptionsPerConnection: number;
  readonly wsMaxConnectionsPerUser: number;
  readonly wsMaxConnectionsPerIp: number;
  /** Unread output per socket: a message that would take a socket past it closes the socket (1013) instead. */
  readonly wsMaxBufferedBytes: number;
  /**
   * Unread output across all sockets of the process: past it, the sockets holding the most are
   * closed (1013), largest first, until the total is back under the budget.
   */
  readonly wsMaxTotalBufferedBytes: number;
  readonly wsKeepAliveMs: number;
  readonly wsMessagesPerSecond: number;
  /** How long an SSE single-connection reservation (PUT) waits for its stream, in ms. */
  readonly sseReservationTtlMs: number;
  /** Events the SSE resumption log keeps per topic (Last-Event-ID); a client further behind gets EVENTS_MISSED. */
  readonly sseResumeMaxEvents: number;
  /** How long the SSE resumption log keeps an event, in ms. */
  readonly sseResumeMaxAgeMs: number;
  /** Topics the in-memory resumption log keeps (without REDIS_URL). */
  readonly sseResumeMaxTopics: number;
  /** Event bytes the in-memory resumption log keeps over all topics (without REDIS_URL). */
  readonly sseResumeMaxBytes: number;
  /** Time a client has to send a whole HTTP request, body included (408 and closed past it). */
  readonly httpRequestTimeoutMs: number;
  /** Time a client has to send an HTTP request's headers (408 and closed past it); at most `httpRequestTimeoutMs`. */
  readonly httpHeadersTimeoutMs: number;
  /** How long an idle keep-alive HTTP connection is kept open; behind a load balancer, above its idle timeout. */
  readonly httpKeepAliveTimeoutMs: number;
  /**
   * Concurrent HTTP connections (not counting upgraded WebSockets) from one TCP peer address; more are
   * answered 429 and closed. Peers that TRUST_PROXY trusts (a load balancer) are not capped.
   */
  readonly httpMaxConnectionsPerIp: number;
  readonly workers: number;
  /** Which proxies' X-Forwarded-For to believe for the client address (see client-address.ts). */
  readonly trustProxy: boolean | number | readonly string[];
  /**
   * `GET /metrics` in the Prometheus text format (METRICS): `'off'` (the default),
   * `'on'` on the main port beside GraphQL (anyone who reaches the port can read it),
   * or a port number: served on HOST at that port only, for a scraper on a private network.
   */
  readonly metrics: 'off' | 'on' | number;
}

/** Thrown for a bad value; `main` prints its message on one line and exits 1. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function list(env: Env, name: string): string[] | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function origins(env: Env, port: number): string[] {
  const configured = list(env, 'ALLOWED_ORIGINS');
  if (configured === undefined) return [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
  for (const origin of configured) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError('ALLOWED_ORIGINS', `has "${origin}", which is not a URL`);
    }
    if (url.origin !== origin.replace(/\/$/, '').toLowerCase()) {
      throw new ConfigError('ALLOWED_ORIGINS', `has "${origin}"; give scheme://host[:port] only`);
    }
  }
  return configured.map((origin) => origin.replace(/\/$/, '').toLowerCase());
}

function trustProxy(env: Env): boolean | number | string[] {
  const raw = read(env, 'TRUST_PROXY');
  if (raw === undefined || /^(false|0|no)$/i.test(raw)) return false;
  if (/^(true|yes)$/i.test(raw)) return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const entries = list(env, 'TRUST_PROXY') ?? [];
  for (const entry of entries) {
    if (!/^(loopback|linklocal|uniquelocal|[0-9a-f.:]+(\/\d{1,3})?)$/i.test(entry)) {
      throw new ConfigError('TRUST_PROXY', `has "${entry}"; give true, false, a hop count, or addresses/CIDRs`);
    }
  }
  return entries;
}

function databaseUrl(env: Env): string | undefined {
  const raw = read(env, 'DATABASE_URL');
  if (raw === undefined) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) && !/^(postgres|postgresql|sqlite):/i.test(raw)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// URL, a sqlite: URL or a file path');
  }
  return raw;
}

const NODE_ENVS = ['development', 'production', 'test'] as const;

function nodeEnvOf(env: Env): Config['nodeEnv'] {
  const raw = read(env, 'NODE_ENV') ?? 'development';
  const known = NODE_ENVS.find((name) => name === raw);
  if (known === undefined) throw new ConfigError('NODE_ENV', `must be one of ${NODE_ENVS.join(', ')}, got "${raw}"`);
  return known;
}

function metrics(env: Env, port: number): Config['metrics'] {
  const raw = read(env, 'METRICS');
  if (raw === undefined || /^(off|false|0|no)$/i.test(raw)) return 'off';
  if (/^(on|true|yes)$/i.test(raw)) return 'on';
  if (/^\d+$/.test(raw)) {
    const value = Number(raw);
    if (value < 1 || value > 65_535) throw new ConfigError('METRICS', `must be off, on or a port from 1 to 65535, got ${value}`);
    if (value === port) throw new ConfigError('METRICS', `is PORT (${port}); use METRICS=on to serve /metrics on the main port`);
    return value;
  }
  throw new ConfigError('METRICS', `must be off, on or a port number, got "${raw}"`);
}

const SECOND = 1;
const DAY = 86_400;

/** Builds the configuration; throws {@link ConfigError} naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = nodeEnvOf(env);
  const port = integer(env, 'PORT', 4000, 0, 65_535);
  const redisUrl = read(env, 'REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  }
  const logLevel = read(env, 'LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  const ticketSecrets = list(env, 'TICKET_SECRETS') ?? [];
  for (const secret of ticketSecrets) {
    if (secret.length < 32) throw new ConfigError('TICKET_SECRETS', 'needs secrets of at least 32 characters');
  }
  const sessionIdleTtlSeconds = integer(env, 'SESSION_IDLE_TTL_SECONDS', 7 * DAY, SECOND, 365 * DAY);
  const sessionAbsoluteTtlSeconds = integer(env, 'SESSION_ABSOLUTE_TTL_SECONDS', 30 * DAY, SECOND, 365 * DAY);
  const httpRequestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  const httpHeadersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', Math.min(10_000, httpRequestTimeoutMs), 100, 3_600_000);
  if (httpHeadersTimeoutMs > httpRequestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', `must not exceed HTTP_REQUEST_TIMEOUT_MS (${httpRequestTimeoutMs}), got ${httpHeadersTimeoutMs}`);
  }
  const wsMaxBufferedBytes = integer(env, 'WS_MAX_BUFFERED_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024);
  const wsMaxTotalBufferedBytes = integer(env, 'WS_MAX_TOTAL_BUFFERED_BYTES', 256 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024);
  const workers = integer(env, 'WORKERS', 1, 1, 64);
  if (workers > 1 && redisUrl === undefined) {
    throw new ConfigError('WORKERS', 'above 1 needs REDIS_URL, so that the processes share events');
  }
  return {
    port,
    host: read(env, 'HOST') ?? '127.0.0.1',
    nodeEnv,
    databaseUrl: databaseUrl(env),
    dataDir: read(env, 'DATA_DIR') ?? './data',
    redisUrl,
    redisKeyPrefix: read(env, 'REDIS_KEY_PREFIX') ?? 'tessera:',
    allowedOrigins: origins(env, port),
    cookieSecure: boolean(env, 'COOKIE_SECURE', nodeEnv === 'production'),
    sessionIdleTtlSeconds,
    sessionAbsoluteTtlSeconds,
    sessionRecheckSeconds: integer(env, 'SESSION_RECHECK_SECONDS', 30, 1, DAY),
    ticketTtlSeconds: integer(env, 'TICKET_TTL_SECONDS', 60, 1, 3600),
    ticketSecrets,
    userCountIntervalMs: integer(env, 'USER_COUNT_INTERVAL_MS', 10_000, 0, DAY * 1000),
    logLevel,
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 100 * 1024, 1024, 64 * 1024 * 1024),
    maxDocumentBytes: integer(env, 'MAX_DOCUMENT_BYTES', 16 * 1024, 64, 1024 * 1024),
    maxQueryDepth: integer(env, 'MAX_QUERY_DEPTH', 12, 2, 100),
    maxAliases: integer(env, 'MAX_ALIASES', 30, 0, 100_000),
    maxRootFields: integer(env, 'MAX_ROOT_FIELDS', 20, 1, 100_000),
    maxIntrospectionFields: integer(env, 'MAX_INTROSPECTION_FIELDS', 3, 0, 1000),
    maxFields: integer(env, 'MAX_FIELDS', 300, 1, 1_000_000),
    // At least 4 MiB: room for the largest document MAX_DOCUMENT_BYTES and the token limit allow (~2.5 MB).
    documentCacheBytes: integer(env, 'DOCUMENT_CACHE_BYTES', 16 * 1024 * 1024, 4 * 1024 * 1024, 16 * 1024 * 1024 * 1024),
    maxResponseBytes: integer(env, 'MAX_RESPONSE_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    authRateLimitPerIp: integer(env, 'AUTH_RATE_LIMIT_PER_IP', 100, 1, 1_000_000),
    authRateLimitPerEmail: integer(env, 'AUTH_RATE_LIMIT_PER_EMAIL', 10, 1, 1_000_000),
    authRateLimitPerEmailAddress: integer(env, 'AUTH_RATE_LIMIT_PER_EMAIL_ADDRESS', 5, 1, 1_000_000),
    authRateLimitPerDevice: integer(env, 'AUTH_RATE_LIMIT_PER_DEVICE', 10, 1, 1_000_000),
    authRateLimitWindowSeconds: integer(env, 'AUTH_RATE_LIMIT_WINDOW_SECONDS', 300, 1, DAY),
    authRateLimitMaxKeys: integer(env, 'AUTH_RATE_LIMIT_MAX_KEYS', 100_000, 100, 10_000_000),
    wsInitTimeoutMs: integer(env, 'WS_INIT_TIMEOUT_MS', 3000, 100, 60_000),
    wsMaxMessageBytes: integer(env, 'WS_MAX_MESSAGE_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    wsMaxSubscriptionsPerConnection: integer(env, 'WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 100, 1, 100_000),
    wsMaxConnectionsPerUser: integer(env, 'WS_MAX_CONNECTIONS_PER_USER', 20, 1, 100_000),
    wsMaxConnectionsPerIp: integer(env, 'WS_MAX_CONNECTIONS_PER_IP', 1000, 1, 10_000_000),
    wsMaxBufferedBytes,
    wsMaxTotalBufferedBytes,
    wsKeepAliveMs: integer(env, 'WS_KEEPALIVE_MS', 12_000, 0, 3_600_000),
    wsMessagesPerSecond: integer(env, 'WS_MESSAGES_PER_SECOND', 50, 1, 1_000_000),
    sseReservationTtlMs: integer(env, 'SSE_RESERVATION_TTL_MS', 10_000, 100, 600_000),
    sseResumeMaxEvents: integer(env, 'SSE_RESUME_MAX_EVENTS', 500, 1, 1_000_000),
    sseResumeMaxAgeMs: integer(env, 'SSE_RESUME_MAX_AGE_MS', 300_000, 1000, 86_400_000),
    sseResumeMaxTopics: integer(env, 'SSE_RESUME_MAX_TOPICS', 10_000, 1, 10_000_000),
    sseResumeMaxBytes: integer(env, 'SSE_RESUME_MAX_BYTES', 64 * 1024 * 1024, 1024, 2 ** 40),
    httpRequestTimeoutMs,
    httpHeadersTimeoutMs,
    httpKeepAliveTimeoutMs: integer(env, 'HTTP_KEEPALIVE_TIMEOUT_MS', 10_000, 100, 3_600_000),
    httpMaxConnectionsPerIp: integer(env, 'HTTP_MAX_CONNECTIONS_PER_IP', 256, 1, 10_000_000),
    workers,
    trustProxy: trustProxy(env),
    metrics: metrics(env, port),
  };
}
