/**
 * The demo's live feed: one WebSocket (through the client helper, so every
 * connect fetches a fresh ticket) carrying two subscriptions,
 * `accountsUserCount` and `systemAnnouncements`. It reconnects by itself when
 * the server goes away (restart, network), and stops for good, saying why,
 * when the server closes the socket because the session is over.
 */
import type { Client } from 'graphql-ws';
import { createTesseraClient, isSessionOver } from '../../src/client/tessera-client.js';
import type { GraphQLError } from '../shared/endpoints.js';

export interface Announcement {
  readonly id: string;
  readonly message: string;
  readonly createdAt: string;
}

export interface LiveFeedEvents {
  /** The socket is being opened; `retry` after a lost connection. */
  connecting(retry: boolean): void;
  /** The server acknowledged the connection; values will follow. */
  connected(): void;
  /** The socket closed and a reconnect follows. */
  lost(code: number, reason: string): void;
  count(value: number): void;
  announcement(announcement: Announcement): void;
  /** The server closed the socket because the session is over; the feed has stopped. */
  sessionOver(reason: string): void;
  /** The server answered as to an anonymous user: nobody is signed in any more. */
  signedOut(): void;
  /** Something else went wrong; the feed starts again after `retryInMs`. */
  failed(message: string, retryInMs: number): void;
}

const RESTART_AFTER_MS = 3000;
const MAX_WAIT_MS = 8000;

const isClose = (value: unknown): value is { code: number; reason: string } =>
  typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;

function errorMessage(error: unknown): string {
  if (Array.isArray(error)) return (error as GraphQLError[]).map((item) => item.message).join(' ');
  if (isClose(error)) return `socket closed (${error.code}${error.reason === '' ? '' : `: ${error.reason}`})`;
  return error instanceof Error ? error.message : String(error);
}

function isUnauthenticated(error: unknown): boolean {
  return Array.isArray(error) && (error as GraphQLError[]).some((item) => item.extensions?.code === 'UNAUTHENTICATED');
}

export class LiveFeed {
  #client: Client | undefined;
  #unsubscribe: Array<() => void> = [];
  #restart: ReturnType<typeof setTimeout> | undefined;
  #running = false;

  constructor(
    private readonly wsUrl: string,
    private readonly events: LiveFeedEvents,
  ) {}

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    this.stop();
    this.#running = true;
    this.#open();
  }

  /** Unsubscribes and closes the socket (normal closure). */
  stop(): void {
    this.#running = false;
    clearTimeout(this.#restart);
    this.#teardown();
  }

  #teardown(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    void this.#client?.dispose();
    this.#client = undefined;
  }

  #open(): void {
    const events = this.events;
    let over = false;
    const client = createTesseraClient({
      url: this.wsUrl,
      // Keep trying while the server is away (a restart), at most MAX_WAIT_MS apart.
      retryAttempts: Number.POSITIVE_INFINITY,
      retryWait: (retries) =>
        new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, MAX_WAIT_MS) + Math.random() * 500)),
      onSessionEnded: (reason) => {
        over = true;
        this.stop();
        events.sessionOver(reason);
      },
      on: {
        connecting: (retry) => events.connecting(retry),
        connected: () => events.connected(),
        closed: (event) => {
          if (this.#client !== client || over || isSessionOver(event)) return;
          if (isClose(event)) events.lost(event.code, event.reason);
        },
      },
    });
    this.#client = client;

    const failed = (error: unknown): void => {
      // Only the first failure of the current client counts; its siblings follow it down.
      if (this.#client !== client || over || isSessionOver(error)) return;
      if (isUnauthenticated(error)) {
        this.stop();
        events.signedOut();
        return;
      }
      // The client gave up (e.g. a ticket request failed): start over with a new one.
      this.#teardown();
      events.failed(errorMessage(error), RESTART_AFTER_MS);
      this.#restart = setTimeout(() => {
        if (this.#running) this.#open();
      }, RESTART_AFTER_MS);
    };

    this.#unsubscribe.push(
      client.subscribe<{ accountsUserCount: number }>(
        { query: 'subscription accountsUserCount { accountsUserCount }' },
        {
          next: (result) => {
            if (result.errors !== undefined) return failed(result.errors);
            if (typeof result.data?.accountsUserCount === 'number') events.count(result.data.accountsUserCount);
          },
          error: failed,
          complete: () => failed(new Error('the server ended the subscription')),
        },
      ),
      client.subscribe<{ systemAnnouncements: Announcement }>(
        { query: 'subscription systemAnnouncements { systemAnnouncements { id message createdAt } }' },
        {
          next: (result) => {
            if (result.errors !== undefined) return failed(result.errors);
            if (result.data?.systemAnnouncements !== undefined) events.announcement(result.data.systemAnnouncements);
          },
          error: failed,
          complete: () => failed(new Error('the server ended the subscription')),
        },
      ),
    );
  }
}
