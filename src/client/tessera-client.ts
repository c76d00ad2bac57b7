/**
 * The client helper, for browsers and Node: graphql-ws's own client, set up
 * so that every connect and reconnect fetches a fresh single-use ticket
 * (`accountsMe { token }`, with the session cookie) and sends it in
 * `connection_init`, never in the URL; so that it retries whatever ends a
 * connection (a refused TCP connection included: graphql-ws's default
 * `shouldRetry` gives up on it, so a plain client does not survive a restart),
 * with capped exponential backoff and full jitter; and so that it stops once the
 * server says the session is over (4401).
 *
 * The ticket is fetched before the socket opens (in graphql-ws's `url` step), not
 * after: the server gives a socket WS_INIT_TIMEOUT_MS (3 s) for its
 * `connection_init`, and when thousands of clients come back to a restarted node at
 * once, a ticket request made after the socket opened can take longer than that
 * (scripts/reconnect-storm.mjs measured 4408 closes from exactly this).
 */
import { type Client, type ClientOptions, createClient } from 'graphql-ws';

/** Close reasons (with code 4401) after which reconnecting cannot help: sign in again. */
export const SESSION_OVER_REASONS = ['session ended', 'session expired', 'user not found'] as const;

export interface TesseraClientOptions extends Omit<ClientOptions, 'connectionParams'> {
  /** The GraphQL HTTP endpoint for tickets; default: `url` with http(s) for ws(s). */
  readonly httpUrl?: string;
  /**
   * Fetches a ticket; default: POST `{ accountsMe { token } }` to `httpUrl` with the
   * browser's cookies. Resolving undefined connects anonymously.
   */
  readonly fetchTicket?: () => Promise<string | undefined>;
  /** Called once when the server closes the socket because the session is over. */
  readonly onSessionEnded?: (reason: string) => void;
}

interface CloseLike {
  readonly code: number;
  readonly reason: string;
}

const isClose = (value: unknown): value is CloseLike =>
  typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;

/** Whether a close means the session is over (so a retry would be refused too). */
export function isSessionOver(event: unknown): boolean {
  return isClose(event) && event.code === 4401 && (SESSION_OVER_REASONS as readonly string[]).includes(event.reason);
}

/**
 * The wait before retry `retries` (0-based): a random time in
 * [base, min(cap, base * 2^(retries + 1))] ("full jitter" over a floor), so that the
 * clients of a restarted server do not all come back in the same instant. The
 * first retry is jittered too: graphql-ws calls this with 0 when a server's
 * sockets all close at once, and [base, base] would send every client back at
 * exactly base ms (scripts/reconnect-storm.mjs).
 */
export function backoffMs(retries: number, random: () => number = Math.random, baseMs = 500, capMs = 30_000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(retries + 1, 20));
  return Math.round(baseMs + random() * (ceiling - baseMs));
}

export function defaultHttpUrl(wsUrl: string): string {
  return wsUrl.replace(/^ws(s?):/, 'http$1:');
}

/** POSTs `{ accountsMe { token } }` with cookies; resolves the ticket, or undefined when signed out. */
export async function fetchTicketOverHttp(httpUrl: string): Promise<string | undefined> {
  const response = await fetch(httpUrl, {
    method: 'POST',
    credentials: 'include',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
    body: JSON.stringify({ query: '{ accountsMe { token } }' }),
  });
  if (!response.ok) throw new Error(`ticket request failed with HTTP ${response.status}`);
  const body = (await response.json()) as { data?: { accountsMe?: { token?: string } | null } };
  return body.data?.accountsMe?.token ?? undefined;
}

export function createTesseraClient(options: TesseraClientOptions): Client {
  const { httpUrl, fetchTicket, onSessionEnded, shouldRetry, on, ...rest } = options;
  const ticketUrl = httpUrl ?? (typeof options.url === 'string' ? defaultHttpUrl(options.url) : undefined);
  if (fetchTicket === undefined && ticketUrl === undefined) throw new Error('give httpUrl (or fetchTicket) when url is a function');
  const getTicket = fetchTicket ?? (() => fetchTicketOverHttp(ticketUrl as string));
  let sessionOver = false;
  const url = options.url;
  // The ticket of the attempt under way: fetched in `url`, before the socket opens, and
  // spent in `connectionParams`. Every attempt calls `url` again, so every attempt has its own.
  let ticket: Promise<string | undefined> | undefined;
  return createClient({
    // 30 attempts at <= 30 s each: a restart or a few minutes' outage is ridden out.
    retryAttempts: 30,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, backoffMs(retries))),
    ...rest,
    url: async () => {
      const pending = getTicket();
      ticket = pending;
      // Waited for, not thrown here: graphql-ws runs `url` where a rejection goes unhandled.
      // A failed request fails in connectionParams instead, as before, and is retried.
      await pending.catch(() => undefined);
      return typeof url === 'function' ? url() : url;
    },
    connectionParams: async () => {
      const pending = ticket ?? getTicket();
      ticket = undefined;
      const token = await pending;
      return token === undefined ? {} : { token };
    },
    shouldRetry: (event) => {
      if (isSessionOver(event)) return false;
      return shouldRetry === undefined ? true : shouldRetry(event);
    },
    on: {
      ...on,
      connected: (...args) => {
        sessionOver = false;
        on?.connected?.(...args);
      },
      closed: (event) => {
        if (!sessionOver && isSessionOver(event)) {
          sessionOver = true;
          onSessionEnded?.((event as CloseLike).reason);
        }
        on?.closed?.(event);
      },
    },
  });
}
