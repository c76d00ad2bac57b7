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
