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
 */
import { createGraphiQLFetcher, type Fetcher, type FetcherOpts, type FetcherParams } from '@graphiql/toolkit';
import { type DocumentNode, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { createTesseraClient } from '../../src/client/tessera-client.js';

export interface TesseraFetcherOptions {
  readonly httpUrl: string;
  readonly wsUrl: string;
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

/** A close event, or any error, as an Error GraphiQL can show. */
function describe(error: unknown): Error {
  if (typeof error === 'object' && error !== null && 'code' in error && 'reason' in error) {
    const { code, reason } = error as { code: number; reason: string };
    return new Error(`Socket closed with event ${code}${reason === '' ? '' : ` ${reason}`}`);
  }
  if (error instanceof Error) return error;
  if (Array.isArray(error)) return new Error(error.map((item: { message?: string }) => item.message ?? String(item)).join('\n'));
  return new Error(String(error));
}

/**
 * Runs one subscription as an async iterator; a close or error becomes an
 * Error GraphiQL shows in the result pane. `after` runs when it ends.
 */
async function* subscribe(client: Client, params: FetcherParams, after?: () => void): AsyncGenerator<unknown, void, undefined> {
  try {
    for await (const result of client.iterate({
      query: params.query,
      operationName: params.operationName ?? null,
      variables: (params.variables as Record<string, unknown> | undefined) ?? null,
    })) {
      yield result;
    }
  } catch (error) {
    throw describe(error);
  } finally {
    after?.();
  }
}

export function createTesseraFetcher(options: TesseraFetcherOptions): Fetcher {
  // Lazy: it connects for the first subscription and closes after the last,
  // so every run connects afresh, with a new ticket.
  const automatic = createTesseraClient({ url: options.wsUrl, httpUrl: options.httpUrl, retryAttempts: 3 });
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
      return http(current, { ...opts, ...(document === undefined ? {} : { documentAST: document }) });
    }
    const pasted = pastedConnectionParams(opts?.headers);
    if (pasted === undefined) return subscribe(automatic, current) as ReturnType<Fetcher>;
    // A pasted ticket works once, so retrying with it could only fail: a client of its own, no retries.
    const manual = createClient({ url: options.wsUrl, connectionParams: pasted, retryAttempts: 0 });
    return subscribe(manual, current, () => void manual.dispose()) as ReturnType<Fetcher>;
  };
}
