/**
 * `tessera/tickets`: single-use socket tickets. A ticket is an HMAC-signed,
 * short-lived claim `{ sid, uid, jti, exp, iat }` bound to the session id of
 * whichever session system issued it; a ReplayGuard makes each one work once.
 * `createGateway` uses these itself (`gateway.issueTicket`): import them to issue
 * or check tickets elsewhere (another service, a test).
 */
export { signTicket, verifyTicket, TicketFailure, type TicketCheck, type TicketClaims } from './ticket.js';
export { TicketIssuer } from './ticket-issuer.js';
export { MemoryReplayGuard, type ReplayGuard } from './replay-guard.js';
