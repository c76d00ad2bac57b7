/**
 * 'tessera': authenticated, revocable GraphQL subscriptions (graphql-transport-ws)
 * for any GraphQLSchema and any cookie-session system, attached to any node:http
 * Server. Nothing of Tessera's demo app (accounts, workers, pages) is reachable
 * from here.
 *
 *   const gateway = createGateway({ schema, sessions, origins: ['https://app.example'] });
 *   gateway.attach(server);
 */
export { createGateway } from './gateway/create-gateway.js';
export type { DefaultContext, Gateway, GatewayOptions, PinoLike } from './gateway/create-gateway.js';
export type { ContextFunction, SocketContextInput } from './gateway/context-input.js';
export { DEFAULT_GATEWAY_LIMITS } from './gateway/gateway-limits.js';
export type { GatewayLimits } from './gateway/gateway-limits.js';
export { declareTopics } from './gateway/topic-fields.js';
export type { TopicScope, TopicSpec } from './gateway/topic-fields.js';
export type { GatewaySession, SessionCheck, SessionSource, SessionStatus } from './sessions/session-source.js';
export type { Bus, Listener } from './pubsub/bus.js';
export { MemoryBus } from './pubsub/memory-bus.js';
export type { ReplayGuard } from './tickets/replay-guard.js';
export { MemoryReplayGuard } from './tickets/replay-guard.js';
export { TicketIssuer } from './tickets/ticket-issuer.js';
export type { Metrics, GatewayGauges } from './metrics/metrics.js';
export { CloseCode, CloseReason } from './gateway/protocol/close-codes.js';
export { DocumentCache } from './graphql/document-cache.js';
export type { PublishOptions } from './pubsub/publisher.js';
export { SseHandler } from './sse/sse-handler.js';
export { MemoryResumptionLog, DEFAULT_RESUMPTION_WINDOW } from './sse/resumption-log.js';
export type { LoggedEvent, Resumption, ResumptionLog, ResumptionWindow, MemoryLogLimits } from './sse/resumption-log.js';
export type { DocumentLimits } from './graphql/document-cache.js';

/**
 * The Origin allow-list the gateway checks on every upgrade and SSE request
 * (exact `scheme://host[:port]` matches): use the same one for your own HTTP
 * routes and CORS, so one list decides everywhere.
 */
export { OriginPolicy } from './security/origin-policy.js';
/**
 * The headers the CSRF rule accepts as proof of a non-simple request
 * (`graphql-require-preflight`, …): allow them in your CORS preflight.
 */
export { PREFLIGHT_HEADERS } from './security/csrf.js';
/**
 * Errors with a stable `extensions.code` (the codes of the README's error table):
 * throw `ClientError` (or `unauthenticated()`, `forbidden()`, `badInput()`) from
 * a resolver and the client sees its code and message; any other error is masked
 * as INTERNAL_SERVER_ERROR.
 */
export { ErrorCode, ClientError, StoreUnavailableError, unauthenticated, forbidden, badInput } from './graphql/errors.js';
/** Whether an error means "the database or Redis cannot be reached" (answered 503 / SERVICE_UNAVAILABLE), as opposed to a bug. */
export { isStoreUnavailable } from './graphql/format-errors.js';
/**
 * The resolver of a subscription field whose value is the published event
 * itself: for such a scalar or enum field the fan-out builds the result
 * without graphql-js's `execute`. Only use it on fields that pass the event through.
 */
export { eventValue } from './graphql/event-value.js';
/**
 * Publishes an event for a topic to every process through a Bus, as
 * `gateway.publish` does: for code that publishes without a gateway at hand
 * (a worker, a resolver's services built before the gateway).
 */
export { Publisher } from './pubsub/publisher.js';
/** The metrics that count nothing (the default of `metrics`). */
export { NO_METRICS } from './metrics/metrics.js';
/** The error the gateway throws when it cannot start (e.g. a `ws` server it cannot run with): its message is the line to print. */
export { StartupError } from './startup-errors.js';
/**
 * The scrubbing the gateway applies to what it logs, for a logger of your own
 * to render the same way: a URL without its password (`urlWithoutPassword`) or
 * without its query values (`safeUrl`), a header value without credentials
 * (`scrubHeader`), any text without secrets (`scrubSecrets`), and the `REDACTED` placeholder.
 */
export { REDACTED, safeUrl, scrubHeader, scrubSecrets, urlWithoutPassword } from './logging/scrub.js';
