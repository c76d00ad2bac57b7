/**
 * Every limit of the gateway's sockets and documents, with its default. The
 * names in brackets are the demo server's environment variables (README's
 * configuration table), which set the same limits.
 */
import type { ValidationRule } from 'graphql';

export interface GatewayLimits {
  /** Time a socket has to send `connection_init` before it is closed with 4408, in ms [WS_INIT_TIMEOUT_MS]. Default 3000. */
  readonly initTimeoutMs: number;
  /** Largest client message; a bigger one closes the socket with 1009 [WS_MAX_MESSAGE_BYTES]. Default 64 KiB. */
  readonly maxMessageBytes: number;
  /** Operations one socket may run at once; more are refused with SUBSCRIPTION_LIMIT [WS_MAX_SUBSCRIPTIONS_PER_CONNECTION]. Default 100. */
  readonly maxSubscriptionsPerConnection: number;
  /** Authenticated sockets per user (on this process); more close with 4429 [WS_MAX_CONNECTIONS_PER_USER]. Default 20. */
  readonly maxConnectionsPerUser: number;
  /** Open sockets per client address; more upgrades get HTTP 429 [WS_MAX_CONNECTIONS_PER_IP]. Default 1000. */
  readonly maxConnectionsPerAddress: number;
  /** Unread output one socket may have before it is closed with 1013 (slow consumer) [WS_MAX_BUFFERED_BYTES]. Default 1 MiB. */
  readonly maxBufferedBytes: number;
  /** Unread output across all sockets; past it the largest readers are closed [WS_MAX_TOTAL_BUFFERED_BYTES]. Default 256 MiB; `undefined`: none. */
  readonly maxTotalBufferedBytes: number | undefined;
  /** Client messages per second per socket, twice that in a burst; past it 4429 [WS_MESSAGES_PER_SECOND]. Default 50. */
  readonly messagesPerSecond: number;
  /** Ping interval; a socket that missed the previous pong is cut; 0: no pings [WS_KEEPALIVE_MS]. Default 12000. */
  readonly keepAliveMs: number;
  /** How often every watched session is re-checked with the session source, in ms [SESSION_RECHECK_SECONDS × 1000]. Default 30000. */
  readonly sessionRecheckMs: number;
  /** A query or mutation result (or a standard subscription's event) over this many JSON bytes is refused with RESPONSE_TOO_LARGE [MAX_RESPONSE_BYTES]. Default 1 MiB. */
  readonly maxResponseBytes: number;
  /** Time the client messages of one event-loop turn may take before the rest wait for later turns, in ms. Default 10. */
  readonly messageSliceMs: number;
  /** Largest GraphQL document, in bytes [MAX_DOCUMENT_BYTES]. Default 16 KiB. */
  readonly maxDocumentBytes: number;
  /** Deepest selection nesting [MAX_QUERY_DEPTH]. Default 12. */
  readonly maxQueryDepth: number;
  /** Lexical tokens of one document, checked while parsing. Default 2000. */
  readonly maxTokens: number;
  /** Aliases per operation [MAX_ALIASES]. Default 30. */
  readonly maxAliases: number;
  /** Root fields per operation [MAX_ROOT_FIELDS]. Default 20. */
  readonly maxRootFields: number;
  /** Introspection fields (`__schema`, `__type`) per operation [MAX_INTROSPECTION_FIELDS]. Default 3. */
  readonly maxIntrospectionFields: number;
  /** Fields per operation, fragments expanded [MAX_FIELDS]. Default 300. */
  readonly maxFields: number;
  /** Memory for parsed documents, those of live subscriptions included [DOCUMENT_CACHE_BYTES]. Default 16 MiB. */
  readonly documentCacheBytes: number;
  /** Validation rules of your own, after graphql-js's and Tessera's. Default none. */
  readonly validationRules: readonly ValidationRule[];
  /** How long an SSE single-connection reservation (PUT) waits for its stream before it is dropped, in ms [SSE_RESERVATION_TTL_MS]. Default 10000. */
  readonly sseReservationTtlMs: number;
  /** Events the SSE resumption log keeps per topic; a client further behind gets EVENTS_MISSED [SSE_RESUME_MAX_EVENTS]. Default 500. */
  readonly sseResumeMaxEvents: number;
  /** How long the SSE resumption log keeps an event, in ms; a client away longer gets EVENTS_MISSED [SSE_RESUME_MAX_AGE_MS]. Default 300000. */
  readonly sseResumeMaxAgeMs: number;
  /** Topics the in-memory resumption log keeps; the least recently published go first [SSE_RESUME_MAX_TOPICS]. Default 10000. */
  readonly sseResumeMaxTopics: number;
  /** Event bytes the in-memory resumption log keeps over all topics [SSE_RESUME_MAX_BYTES]. Default 64 MiB. */
  readonly sseResumeMaxBytes: number;
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  initTimeoutMs: 3000,
  maxMessageBytes: 64 * 1024,
  maxSubscriptionsPerConnection: 100,
  maxConnectionsPerUser: 20,
  maxConnectionsPerAddress: 1000,
  maxBufferedBytes: 1024 * 1024,
  maxTotalBufferedBytes: 256 * 1024 * 1024,
  messagesPerSecond: 50,
  keepAliveMs: 12_000,
  sessionRecheckMs: 30_000,
  maxResponseBytes: 1024 * 1024,
  messageSliceMs: 10,
  maxDocumentBytes: 16 * 1024,
  maxQueryDepth: 12,
  maxTokens: 2000,
  maxAliases: 30,
  maxRootFields: 20,
  maxIntrospectionFields: 3,
  maxFields: 300,
  documentCacheBytes: 16 * 1024 * 1024,
  validationRules: [],
  sseReservationTtlMs: 10_000,
  sseResumeMaxEvents: 500,
  sseResumeMaxAgeMs: 300_000,
  sseResumeMaxTopics: 10_000,
  sseResumeMaxBytes: 64 * 1024 * 1024,
};

/** The limits given, each missing one at its default. */
export function gatewayLimits(given: Partial<GatewayLimits> | undefined): GatewayLimits {
  const limits: Record<string, unknown> = { ...DEFAULT_GATEWAY_LIMITS };
  for (const [name, value] of Object.entries(given ?? {})) {
    // An explicit undefined means "none" only where that is allowed; elsewhere it keeps the default.
    if (value !== undefined || name === 'maxTotalBufferedBytes') limits[name] = value;
  }
  return limits as unknown as GatewayLimits;
}
