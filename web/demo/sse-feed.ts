/**
 * The demo's live feed over Server-Sent Events: the same two subscriptions as
 * live-feed.ts, through graphql-sse's client in single-connection mode (one
 * stream for both), authenticated by the page's own session cookie (a
 * same-origin page: the browser sends it, Tessera accepts it from the page's
 * Origin or same-origin Fetch Metadata). No ticket is needed. It reconnects by
 * itself when the stream drops (restart, network), and stops for good, saying
 * why, when the server ends the stream because the session is over (a final
 * `UNAUTHENTICATED` "session ended" / "session expired" / "user not found").
 */
import { type Client, createClient } from 'graphql-sse';
import type { GraphQLError } from '../shared/endpoints.js';
import type { Announcement, LiveFeedEvents } from './live-feed.js';

const RESTART_AFTER_MS = 3000;
const MAX_WAIT_MS = 8000;
/** The reasons a stream's final event gives (the socket's 4401 reasons). */
const SESSION_OVER = new Set(['session ended', 'session expired', 'user not found']);

function errorMessage(error: unknown): string {
  if (Array.isArray(error)) return (error as GraphQLError[]).map((item) => item.message).join(' ');
  return error instanceof Error ? error.message : String(error);
}

export class SseFeed {
  #client: Client<true> | undefined;
  #unsubscribe: Array<() => void> = [];
  #restart: ReturnType<typeof setTimeout> | undefined;
  #running = false;

  constructor(
    private readonly url: string,
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

  stop(): void {
    this.#running = false;
    clearTimeout(this.#restart);
    this.#teardown();
  }

  #teardown(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#client?.dispose();
    this.#client = undefined;
  }

  #open(): void {
    const events = this.events;
    let over = false;
    let connected = false;
    events.connecting(false);
    const client = createClient({
      url: this.url,
      singleConnection: true,
      retryAttempts: Number.POSITIVE_INFINITY,
      retry: (retries) => {
        events.connecting(true);
        return new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** retries, MAX_WAIT_MS) + Math.random() * 500));
      },
      on: {
        connected: () => {
          connected = true;
          events.connected();
        },
      },
    });
    this.#client = client;

    const failed = (error: unknown): void => {
      if (this.#client !== client || over) return;
      const errors = Array.isArray(error) ? (error as GraphQLError[]) : [];
      const final = errors.find((item) => item.extensions?.code === 'UNAUTHENTICATED');
      if (final !== undefined) {
        this.stop();
        if (SESSION_OVER.has(final.message)) {
          over = true;
          events.sessionOver(final.message);
        } else {
          events.signedOut();
        }
        return;
      }
      this.#teardown();
      events.failed(errorMessage(error), RESTART_AFTER_MS);
      this.#restart = setTimeout(() => {
        if (this.#running) this.#open();
      }, RESTART_AFTER_MS);
    };
    const sawValue = () => {
      if (!connected) {
        connected = true;
        events.connected();
      }
    };

    this.#unsubscribe.push(
      client.subscribe<{ accountsUserCount: number }>(
        { query: 'subscription accountsUserCount { accountsUserCount }' },
        {
          next: (result) => {
            if (result.errors !== undefined) return failed(result.errors);
            sawValue();
            if (typeof result.data?.accountsUserCount === 'number') events.count(result.data.accountsUserCount);
          },
          error: failed,
          complete: () => failed(new Error('the server ended the stream')),
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
          complete: () => failed(new Error('the server ended the stream')),
        },
      ),
    );
  }
}
