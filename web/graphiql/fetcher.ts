/**
 * GraphiQL's fetcher for Tessera: queries and mutations go over HTTP with the
 * session cookie (the toolkit's fetcher); subscriptions go over the WebSocket
 * through the client helper, which fetches a fresh ticket on every connect,
 * so a person never copies a token. The seed's manual flow still works: when
 * the Headers editor holds a `token`, that subscription runs on a connection
 * of its own with the editor's JSON as the `connection_init` payload.
 *
 * Subscriptions do not go through the toolkit's `wsClient` option: it ignores
 * the Headers editor, and a server-side close (4401 on logout) surfaced as an
 * unhandled rejection in the page besides the message in the result pane.
 * Each subscription belongs to the tab it was started in (see ./tabs.ts): its
 * values and its end (the close code and reason) are shown there, not in
 * whichever tab is active; errors are shown as message and code, never a stack.
 */
import { createGraphiQLFetcher, type Fetcher, type FetcherOpts, type FetcherParams } from '@graphiql/toolkit';
import { type DocumentNode, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { createTesseraClient } from '../../src/client/tessera-client.js';
import type { TabAccess } from './tabs.js';

export interface TesseraFetcherOptions {
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** GraphiQL's tabs, so that a subscription's values and end go to its own tab. */
  readonly tabs?: TabAccess;
}

type Headers = NonNullable<FetcherOpts['headers']>;

/** The Headers editor's JSON, when it carries a pasted ticket; undefined otherwise. */
export function pastedConnectionParams(headers: Headers | undefined): Record<string, unknown> | undefined {
  if (headers === undefined || headers === null || typeof headers !== 'object') return undefined;
  const token: unknown = (headers as Record<string, unknown>)['token'];
  return typeof token === 'string' && token.trim() !== '' ? { ...headers, token: token.trim() } : undefined;
}

function parseOrUndefined(query: string): DocumentNode | undefined {
  try {
    return parse(query);
  } catch {
    return undefined; // the server answers with the syntax error
  }
}

/**
 * The operation to run. GraphiQL 3 works out the operation name and AST after
 * a short debounce, so right after switching tabs it can send the previous
 * tab's name (and AST); the document itself is current, so decide from it.
 */
export function chooseOperation(
  document: DocumentNode | undefined,
  operationName: string | null | undefined,
): { operationName: string | null | undefined; operation: OperationDefinitionNode | undefined } {
  const operations = (document?.definitions ?? []).filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const named = operations.find((operation) => operationName != null && operation.name?.value === operationName);
  if (named !== undefined) return { operationName, operation: named };
  const only = operations.length === 1 ? operations[0] : undefined;
  if (only !== undefined) return { operationName: only.name?.value ?? null, operation: only };
  return { operationName, operation: undefined };
}

/** Close codes graphql-ws's client sets itself (bad response, internal client error, terminated, no ack in time). */
const CLIENT_CLOSE_CODES: ReadonlySet<number> = new Set([4004, 4005, 4499, 4504]);

/** An error as GraphiQL shows it: `{ message, extensions: { code } }`. */
export interface DisplayError {
  readonly message: string;
  readonly extensions?: Record<string, unknown>;
}

/**
 * A close event, GraphQL errors or any other failure as plain objects for the
 * result pane: message and code, never an Error (GraphiQL prints an Error's
 * stack, which in the bundle is minified noise).
 */
export function displayError(error: unknown): DisplayError[] {
  if (typeof error === 'object' && error !== null && 'code' in error && 'reason' in error) {
    const { code, reason } = error as { code: number; reason: string };
    const by = CLIENT_CLOSE_CODES.has(code) ? 'client' : 'server';
    return [{ message: `The ${by} closed the socket: ${code}${reason === '' ? '' : ` ${reason}`}`, extensions: { code, reason } }];
  }
  if (Array.isArray(error)) {
    return error.map((item: unknown) => {
      if (typeof item === 'object' && item !== null && 'message' in item) {
        const { message, extensions } = item as { message: unknown; extensions?: Record<string, unknown> };
        return { message: String(message), ...(extensions === undefined ? {} : { extensions }) };
      }
      return { message: String(item) };
    });
  }
  if (error instanceof Error) return [{ message: error.message }];
  return [{ message: String(error) }];
}

/** The result pane's text for an error, as GraphiQL's own formatter writes it (without stacks). */
export function formatDisplayError(error: unknown): string {
  return JSON.stringify({ errors: displayError(error) }, null, 2);
}

const formatValue = (value: unknown): string => JSON.stringify(value, null, 2);

interface Request {
  readonly query: string;
  readonly operationName: string | null;
  readonly variables: Record<string, unknown> | null;
}

/**
 * One subscription as GraphiQL sees it: an async iterator of results whose end
 * (a server close, errors) is thrown as plain {@link DisplayError}s. When
 * GraphiQL stops it because its tab was left, it keeps running in the
 * background and writes its values and its end into its own tab; stopped from
 * its own tab (the stop button), it ends.
 */
export class SubscriptionRun implements AsyncIterableIterator<unknown> {
  readonly #queue: unknown[] = [];
  #waiting: { resolve: (result: IteratorResult<unknown>) => void; reject: (error: unknown) => void } | undefined;
  #attached = true;
  #finished = false;
  #failure: unknown;
  #failed = false;
  readonly #unsubscribe: () => void;

  constructor(
    client: Client,
    request: Request,
    readonly tabId: string | undefined,
    readonly tabs: TabAccess | undefined,
    readonly onEnd: (run: SubscriptionRun) => void,
  ) {
    this.#unsubscribe = client.subscribe(request, {
      next: (value) => this.#next(value),
      error: (error) => this.#end(true, error),
      complete: () => this.#end(false, undefined),
    });
  }

  get running(): boolean {
    return !this.#finished;
  }

  #next(value: unknown): void {
    if (this.#finished) return;
    if (!this.#attached) {
      // Running in the background for its tab; once that tab is closed, nobody can see it: end it.
      if (this.tabId === undefined || this.tabs?.exists(this.tabId) !== true) this.cancel();
      else this.tabs.write(this.tabId, formatValue(value));
      return;
    }
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting !== undefined) waiting.resolve({ value, done: false });
    else this.#queue.push(value);
  }

  #end(failed: boolean, error: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.onEnd(this);
    if (!this.#attached) {
      if (failed && this.tabId !== undefined) this.tabs?.write(this.tabId, formatDisplayError(error));
      return;
    }
    this.#failed = failed;
    this.#failure = displayError(error);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting === undefined) return;
    if (failed) waiting.reject(this.#failure);
    else waiting.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#queue.length > 0) return Promise.resolve({ value: this.#queue.shift(), done: false });
    if (!this.#attached || this.#finished) {
      if (this.#attached && this.#failed) {
        this.#failed = false; // thrown once
        return Promise.reject(this.#failure);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  /** GraphiQL's stop: detach at once; then, once GraphiQL has switched tabs (or not), keep running or end. */
  return(): Promise<IteratorResult<unknown>> {
    this.#attached = false;
    this.#queue.length = 0;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.resolve({ value: undefined, done: true });
    // GraphiQL calls stop() just before changeTab(); React has rendered the new tab by the next task.
    setTimeout(() => {
      const tabId = this.tabId;
      const left = tabId !== undefined && this.tabs !== undefined && this.tabs.exists(tabId) && this.tabs.activeTabId() !== tabId;
      if (!left) this.cancel();
    }, 0);
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Ends it for good (the stop button, the tab closed, or run again in its tab). */
  cancel(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#unsubscribe();
    this.onEnd(this);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export function createTesseraFetcher(options: TesseraFetcherOptions): Fetcher {
  // Lazy: it connects for the first subscription and closes after the last,
  // so every run connects afresh, with a new ticket.
  const automatic = createTesseraClient({ url: options.wsUrl, httpUrl: options.httpUrl, retryAttempts: 3 });
  const running = new Set<SubscriptionRun>();
  const start = (client: Client, params: FetcherParams, after?: () => void): SubscriptionRun => {
    const tabId = options.tabs?.activeTabId();
    // Run again in a tab whose earlier subscription still runs in the background: that one ends.
    for (const run of running) if (tabId !== undefined && run.tabId === tabId) run.cancel();
    const run = new SubscriptionRun(
      client,
      { query: params.query, operationName: params.operationName ?? null, variables: (params.variables as Record<string, unknown> | undefined) ?? null },
      tabId,
      options.tabs,
      (ended) => {
        running.delete(ended);
        after?.();
      },
    );
    if (run.running) running.add(run);
    return run;
  };
  const http = createGraphiQLFetcher({
    url: options.httpUrl,
    // The session cookie rides along; the JSON content type (set by the toolkit) passes the CSRF check.
    fetch: (input, init) => fetch(input, { ...init, credentials: 'same-origin' }),
    enableIncrementalDelivery: false,
  });
  return (params, opts) => {
    const document = parseOrUndefined(params.query);
    const { operationName, operation } = chooseOperation(document, params.operationName);
    const current: FetcherParams = { ...params, operationName: operationName ?? null };
    if (operation?.operation !== 'subscription') {
      // A failed request (the network, not GraphQL) as message only: GraphiQL would print an Error's stack.
      return Promise.resolve(http(current, { ...opts, ...(document === undefined ? {} : { documentAST: document }) })).catch((error: unknown) => {
        throw displayError(error);
      });
    }
    const pasted = pastedConnectionParams(opts?.headers);
    if (pasted === undefined) return start(automatic, current) as ReturnType<Fetcher>;
    // A pasted ticket works once, so retrying with it could only fail: a client of its own, no retries.
    const manual = createClient({ url: options.wsUrl, connectionParams: pasted, retryAttempts: 0 });
    return start(manual, current, () => void manual.dispose()) as ReturnType<Fetcher>;
  };
}
