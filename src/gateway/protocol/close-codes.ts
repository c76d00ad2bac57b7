/**
 * WebSocket close codes and reasons a client can see. The 44xx codes are
 * graphql-ws's (PROTOCOL.md); 1001, 1009 (sent by `ws` itself) and 1013 are RFC 6455's. The README lists
 * every one; a test checks the two agree.
 */
export enum CloseCode {
  /** The server is shutting down (or the client went away): reconnect, to another node if need be. */
  GoingAway = 1001,
  /** A slow consumer (unread output over WS_MAX_BUFFERED_BYTES, or the most of all over WS_MAX_TOTAL_BUFFERED_BYTES), or the store briefly unreachable: reconnect. */
  TryAgainLater = 1013,
  /** A frame that is not a valid graphql-transport-ws message. */
  BadRequest = 4400,
  /**
   * `subscribe` before the connection was acknowledged; or the session behind the
   * socket is over (ended, expired, user gone: the reason says which). graphql-ws's
   * client treats 4401 as final, so a default client stops instead of reconnecting
   * anonymously; 4403 it retries.
   */
  Unauthorized = 4401,
  /** A ticket was refused (malformed, bad signature, expired, replayed, older than the server's memory of spent tickets): a fresh ticket may pass. */
  Forbidden = 4403,
  /** The client did not offer the `graphql-transport-ws` subprotocol. */
  SubprotocolNotAcceptable = 4406,
  /** No `connection_init` within WS_INIT_TIMEOUT_MS. */
  ConnectionInitialisationTimeout = 4408,
  /** A `subscribe` reused the id of an operation still running. */
  SubscriberAlreadyExists = 4409,
  /** A second `connection_init`, too many connections for the user, or too many messages per second. */
  TooManyRequests = 4429,
  /** Something unexpected failed on the server. */
  InternalServerError = 4500,
}

/** Every close reason Tessera sends, so that clients can match on them. */
export const CloseReason = {
  goingAway: 'server shutting down',
  slowConsumer: 'slow consumer: output buffer limit exceeded',
  outputBudget: 'slow consumer: server output budget exceeded',
  unavailable: 'service temporarily unavailable: try again',
  invalidMessage: 'invalid message',
  // The next four are worded as PROTOCOL.md words them.
  unauthorized: 'Unauthorized',
  subprotocol: 'subprotocol not acceptable: use graphql-transport-ws',
  initTimeout: 'Connection initialisation timeout',
  tooManyInits: 'Too many initialisation requests',
  tooManyConnections: 'too many connections for this user',
  tooManyMessages: 'too many messages per second',
  internal: 'internal server error',
  ticketMalformed: 'ticket malformed',
  ticketBadSignature: 'ticket signature invalid',
  ticketExpired: 'ticket expired',
  ticketReplayed: 'ticket already used',
  ticketBeforeStart: 'ticket issued before this server started',
  sessionEnded: 'session ended',
  sessionExpired: 'session expired',
  userGone: 'user not found',
  subscriberExists: (id: string) => `Subscriber for ${id} already exists`,
} as const;

/** The reasons that mean the session behind the socket is over: sent with 4401, never retried. */
export const SESSION_OVER_REASONS: readonly string[] = [CloseReason.sessionEnded, CloseReason.sessionExpired, CloseReason.userGone];

/** The close code for a refused credential: 4401 when the session is over (final), else 4403 (a fresh ticket may pass). */
export function credentialCloseCode(reason: string): CloseCode {
  return SESSION_OVER_REASONS.includes(reason) ? CloseCode.Unauthorized : CloseCode.Forbidden;
}

const MAX_REASON_BYTES = 123;

/** RFC 6455 allows 123 bytes of reason; longer ones are cut at a character boundary. */
export function limitReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_REASON_BYTES) return reason;
  let cut = reason.slice(0, MAX_REASON_BYTES);
  while (Buffer.byteLength(cut) > MAX_REASON_BYTES) cut = cut.slice(0, -1);
  return cut;
}
