/** What every resolver receives, over HTTP and over the socket alike. */
import type { Accounts } from '../accounts/accounts.js';
import type { Authenticated, Sessions } from '../accounts/sessions.js';
import type { Publisher } from '../pubsub/publisher.js';
import type { TicketIssuer } from '../tickets/ticket-issuer.js';

export interface Services {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly tickets: TicketIssuer;
  readonly publisher: Publisher;
  /** Lower-cased emails allowed to call `systemAnnounce`. */
  readonly adminEmails: ReadonlySet<string>;
}

/** Sets or clears the session cookie on the HTTP response. */
export interface CookieControl {
  set(secret: string): void;
  clear(): void;
}

export interface ClientInfo {
  readonly ip: string;
  readonly userAgent: string | undefined;
}

export interface GraphQLContext {
  readonly transport: 'http' | 'socket';
  readonly auth: Authenticated | undefined;
  readonly client: ClientInfo;
  /** Present over HTTP only: sockets cannot set cookies. */
  readonly cookies: CookieControl | undefined;
  readonly services: Services;
}
