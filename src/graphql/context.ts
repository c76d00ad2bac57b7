/** What every resolver receives, over HTTP and over the socket alike. */
import type { Accounts, Authenticated, Sessions } from '../accounts/index.js';
import type { Publisher, TicketIssuer } from '../index.js';

export interface Services {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly tickets: TicketIssuer;
  readonly publisher: Publisher;
}

/** Sets or clears the session cookie on the HTTP response, and sets the device cookie. */
export interface CookieControl {
  set(secret: string): void;
  clear(): void;
  /** Remembers this browser for the email it signed in with (see accounts/device-cookie.ts). */
  setDevice(value: string): void;
}

export interface ClientInfo {
  readonly ip: string;
  readonly userAgent: string | undefined;
  /** The device cookie the browser sent (HTTP only). */
  readonly deviceCookie?: string | undefined;
}

export interface GraphQLContext {
  readonly transport: 'http' | 'socket';
  readonly auth: Authenticated | undefined;
  readonly client: ClientInfo;
  /** Present over HTTP only: sockets cannot set cookies. */
  readonly cookies: CookieControl | undefined;
  readonly services: Services;
}
