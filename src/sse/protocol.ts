/**
 * Reads a GraphQL-over-SSE request (graphql-sse's PROTOCOL.md, as graphql-sse 2.6's
 * client sends it and its reference handler answers it) into what it asks for,
 * or the HTTP status and message to refuse it with. Pure: no reservation is
 * looked up here (reservations.ts), nothing is executed, nothing is authenticated.
 *
 * The two modes:
 * - **distinct connections**: `Accept: text/event-stream` and no reservation token;
 *   the operation is in the search params (GET) or a JSON body (POST); the response
 *   is the stream of that one operation.
 * - **single connection**: `PUT` reserves a stream (201, the token as text/plain);
 *   `GET` (or POST) with `Accept: text/event-stream` and the token opens it; `POST`
 *   (or GET) without that Accept, with the token and `extensions.operationId`, runs
 *   an operation on it (202); `DELETE ?operationId=` with the token stops one (200).
 *
 * **The reservation token is not a credential; a ticket is.** A ticket (issued by
 * `accountsMe`) proves who the client is, so it is taken only from the
 * `Authorization: Bearer` header or the body's `extensions.token`, never from the
 * URL: a credential-looking search parameter is refused with 400, as on the socket.
 * The reservation token only says which stream a request is about: every request
 * that names it must also carry the credential the reservation was made with
 * (the same session cookie; reservations.ts checks it), so a token read from a log
 * opens nothing. That is why `?token=` is allowed (EventSource cannot send
 * headers). The one case where the token alone would identify the client, a
 * reservation made with a ticket and no cookie, accepts it from the header only
 * (reservations.ts refuses `from: 'url'` there). A ticket sent with a request that
 * names a reservation is ignored: the reservation was authenticated at the PUT
 * (graphql-sse's client repeats the PUT's headers on every later request).
 */
import { paramsFromBody, paramsFromQueryString } from '../http/graphql-params.js';
import type { RequestHeaders } from '../security/csrf.js';
import { credentialParamIn } from '../security/url-credentials.js';

/** graphql-sse's names (its common.ts): the token's header and search parameter. */
export const TOKEN_HEADER = 'x-graphql-event-stream-token';
export const TOKEN_PARAM = 'token';
/** The search parameter of a DELETE naming the operation to stop. */
export const OPERATION_ID_PARAM = 'operationId';

/** The longest `extensions.operationId` accepted: ids are held per stream (graphql-sse's client sends a 36-character UUID). */
export const MAX_OPERATION_ID_LENGTH = 128;
/** The longest `Last-Event-ID` read; a longer one is ignored (ids are `<ms>-<seq>`, under 40 characters). */
export const MAX_LAST_EVENT_ID_LENGTH = 64;

/** What an adapter hands over: the request line, headers, and the body as Fastify parsed it (JSON), if any. */
export interface SseRequestView {
  readonly method: string;
  /** Path and search, as on the request line. */
  readonly url: string;
  readonly headers: RequestHeaders;
  /** The parsed JSON body of a POST; undefined when there is none. */
  readonly body?: unknown;
}

export interface SseParams {
  readonly query: string;
  readonly variables: Record<string, unknown> | undefined;
  readonly operationName: string | undefined;
  readonly extensions: Record<string, unknown> | undefined;
}

/** A reservation token and where it came from: a URL token is refused for a ticket-made reservation. */
export interface TokenRef {
  readonly value: string;
  readonly from: 'header' | 'url';
}

export type SseRequest =
  /** Not an SSE request: the ordinary GraphQL-over-HTTP route answers it. */
  | { readonly kind: 'not-sse' }
  /** One operation, answered with its own stream. */
  | { readonly kind: 'distinct'; readonly params: SseParams; readonly ticket: string | undefined; readonly lastEventId: string | undefined }
  /** PUT: reserve a stream; answer 201 with a token. */
  | { readonly kind: 'reserve'; readonly ticket: string | undefined }
  /** Open the reserved stream. */
  | { readonly kind: 'stream'; readonly token: TokenRef; readonly lastEventId: string | undefined }
  /** Run an operation on the reserved stream; answer 202. */
  | { readonly kind: 'operation'; readonly token: TokenRef; readonly operationId: string; readonly params: SseParams }
  /** DELETE: stop an operation of the reserved stream; answer 200. */
  | { readonly kind: 'stop'; readonly token: TokenRef; readonly operationId: string }
  | SseRefusal;

export interface SseRefusal {
  readonly kind: 'refused';
  readonly status: 400 | 404 | 405 | 406 | 415;
  readonly message: string;
  /** Extra response headers (`allow` on a 405). */
  readonly headers?: Readonly<Record<string, string>>;
}

export const SseRefusalMessage = {
  credentialInUrl:
    'credentials in the URL are refused (URLs end up in logs): send the ticket in an Authorization: Bearer header or in the body as extensions.token',
  streamNotFound: 'Stream not found',
  operationIdMissing: 'Operation ID is missing',
  operationIdTooLong: `Operation ID is longer than ${MAX_OPERATION_ID_LENGTH} characters`,
  methodNotAllowed: 'Method not allowed: use GET, POST, PUT or DELETE',
  notAcceptable: 'Not acceptable',
  unsupportedMediaType: "Unsupported media type: send 'Content-Type: application/json'",
  extensionsNotObject: "'extensions' must be an object.",
  extensionsNotJson: "'extensions' is not valid JSON.",
} as const;

const refuse = (status: SseRefusal['status'], message: string, headers?: Record<string, string>): SseRefusal =>
  headers === undefined ? { kind: 'refused', status, message } : { kind: 'refused', status, message, headers };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A header's one value: a repeated header (an array, or joined by Node) is not trusted as one. */
function header(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

interface MediaRange {
  readonly type: string;
  readonly q: number;
}

function mediaRanges(accept: string | undefined): MediaRange[] {
  if (accept === undefined || accept.trim() === '') return [{ type: '*/*', q: 1 }];
  return accept.split(',').map((part) => {
    const [type = '', ...params] = part.split(';');
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=');
      if (name?.trim().toLowerCase() === 'q') q = Number(value?.trim());
    }
    return { type: type.trim().toLowerCase(), q: Number.isFinite(q) ? q : 0 };
  });
}

/** Whether Accept names `text/event-stream` itself (a wildcard is not a request for a stream) with a non-zero quality. */
export function acceptsEventStream(accept: string | undefined): boolean {
  return mediaRanges(accept).some((range) => range.type === 'text/event-stream' && range.q > 0);
}

/** Whether Accept allows one of `types` (or a wildcard over it); no Accept allows everything. */
function accepts(accept: string | undefined, types: readonly string[]): boolean {
  return mediaRanges(accept).some(
    (range) => range.q > 0 && (range.type === '*/*' || types.some((type) => type === range.type || range.type === `${type.split('/')[0]}/*`)),
  );
}

function bearer(headers: RequestHeaders): string | undefined {
  const value = header(headers, 'authorization');
  if (value === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

function lastEventIdOf(headers: RequestHeaders): string | undefined {
  const value = header(headers, 'last-event-id');
  if (value === undefined || value === '' || value.length > MAX_LAST_EVENT_ID_LENGTH) return undefined;
  return value;
}

function tokenOf(headers: RequestHeaders, search: URLSearchParams): TokenRef | undefined {
  const fromHeader = header(headers, TOKEN_HEADER);
  if (fromHeader !== undefined && fromHeader !== '') return { value: fromHeader, from: 'header' };
  const fromUrl = search.get(TOKEN_PARAM);
  if (fromUrl !== null && fromUrl !== '') return { value: fromUrl, from: 'url' };
  return undefined;
}

function isJsonBody(headers: RequestHeaders): boolean {
  const type = header(headers, 'content-type');
  return type !== undefined && type.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

type ParamsOrRefusal = { readonly ok: true; readonly params: SseParams } | { readonly ok: false; readonly refusal: SseRefusal };

function paramsOf(request: SseRequestView, search: URLSearchParams): ParamsOrRefusal {
  const method = request.method.toUpperCase();
  if (method === 'GET') {
    let extensions: unknown;
    const raw = search.get('extensions');
    if (raw !== null && raw !== '') {
      try {
        extensions = JSON.parse(raw);
      } catch {
        return { ok: false, refusal: refuse(400, SseRefusalMessage.extensionsNotJson) };
      }
      if (!isObject(extensions)) return { ok: false, refusal: refuse(400, SseRefusalMessage.extensionsNotObject) };
      // A ticket in the URL's extensions is still a credential in the URL.
      if ('token' in extensions) return { ok: false, refusal: refuse(400, SseRefusalMessage.credentialInUrl) };
    }
    const fields: Record<string, unknown> = {};
    for (const name of ['query', 'variables', 'operationName']) {
      const all = search.getAll(name);
      fields[name] = all.length > 1 ? all : all[0];
    }
    const parsed = paramsFromQueryString(fields);
    if (!parsed.ok) return { ok: false, refusal: refuse(400, parsed.message) };
    return { ok: true, params: { ...parsed.params, extensions: extensions as Record<string, unknown> | undefined } };
  }
  if (!isJsonBody(request.headers)) return { ok: false, refusal: refuse(415, SseRefusalMessage.unsupportedMediaType) };
  const parsed = paramsFromBody(request.body);
  if (!parsed.ok) return { ok: false, refusal: refuse(400, parsed.message) };
  const extensions = (request.body as Record<string, unknown>)['extensions'];
  if (extensions !== undefined && extensions !== null && !isObject(extensions)) {
    return { ok: false, refusal: refuse(400, SseRefusalMessage.extensionsNotObject) };
  }
  return { ok: true, params: { ...parsed.params, extensions: isObject(extensions) ? extensions : undefined } };
}

function ticketOf(request: SseRequestView, params: SseParams | undefined): string | undefined {
  const fromHeader = bearer(request.headers);
  if (fromHeader !== undefined) return fromHeader;
  const fromBody = params?.extensions?.['token'];
  return typeof fromBody === 'string' && fromBody !== '' ? fromBody : undefined;
}

function operationIdOf(value: unknown): { ok: true; id: string } | { ok: false; refusal: SseRefusal } {
  const id = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
  if (id === '') return { ok: false, refusal: refuse(400, SseRefusalMessage.operationIdMissing) };
  if (id.length > MAX_OPERATION_ID_LENGTH) return { ok: false, refusal: refuse(400, SseRefusalMessage.operationIdTooLong) };
  return { ok: true, id };
}

/** Reads `request` as graphql-sse's PROTOCOL.md defines it (see the file comment). */
export function parseSseRequest(request: SseRequestView): SseRequest {
  const method = request.method.toUpperCase();
  const mark = request.url.indexOf('?');
  const search = new URLSearchParams(mark === -1 ? '' : request.url.slice(mark + 1));
  const accept = header(request.headers, 'accept');
  const wantsStream = acceptsEventStream(accept);
  const token = tokenOf(request.headers, search);
  // Neither a stream nor a reservation: an ordinary GraphQL-over-HTTP request (which refuses URL credentials itself).
  if (!wantsStream && token === undefined && method !== 'PUT' && method !== 'DELETE') return { kind: 'not-sse' };
  if (credentialParamIn(search, new Set([TOKEN_PARAM])) !== undefined) return refuse(400, SseRefusalMessage.credentialInUrl);

  if (method === 'PUT') {
    // A token sent with a PUT is ignored: graphql-sse's client keeps the previous reservation's
    // token in its headers and sends it again when it reserves anew. The server picks tokens.
    if (!accepts(accept, ['text/plain'])) return refuse(406, SseRefusalMessage.notAcceptable);
    return { kind: 'reserve', ticket: bearer(request.headers) };
  }
  if (method === 'DELETE') {
    if (token === undefined) return refuse(404, SseRefusalMessage.streamNotFound);
    const id = operationIdOf(search.get(OPERATION_ID_PARAM) ?? '');
    if (!id.ok) return id.refusal;
    return { kind: 'stop', token, operationId: id.id };
  }
  if (method !== 'GET' && method !== 'POST') {
    return refuse(405, SseRefusalMessage.methodNotAllowed, { allow: 'GET, POST, PUT, DELETE' });
  }
  if (wantsStream) {
    if (token !== undefined) return { kind: 'stream', token, lastEventId: lastEventIdOf(request.headers) };
    const parsed = paramsOf(request, search);
    if (!parsed.ok) return parsed.refusal;
    return { kind: 'distinct', params: parsed.params, ticket: ticketOf(request, parsed.params), lastEventId: lastEventIdOf(request.headers) };
  }
  // An operation for a reserved stream (token is set: see the not-sse test above).
  if (token === undefined) return { kind: 'not-sse' };
  if (!accepts(accept, ['application/json', 'application/graphql-response+json'])) return refuse(406, SseRefusalMessage.notAcceptable);
  const parsed = paramsOf(request, search);
  if (!parsed.ok) return parsed.refusal;
  const id = operationIdOf(parsed.params.extensions?.['operationId']);
  if (!id.ok) return id.refusal;
  return { kind: 'operation', token, operationId: id.id, params: parsed.params };
}
