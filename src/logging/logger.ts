/**
 * The pino logger, set up so that secrets never reach a log line: cookies,
 * Set-Cookie, Authorization and credential fields are censored by path, and
 * URLs are logged with their query values hidden (only `operationName` is
 * kept), since a query string may carry a token or GraphQL variables.
 */
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

export const REDACTED = '[redacted]';

const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["sec-websocket-protocol"]',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.ticket',
  '*.secret',
  '*.variables',
];

const VISIBLE_QUERY_PARAMS = new Set(['operationName']);

// A parameter's name is shown only when it reads like a name (letters and
// underscores): `?<ticket>` or `?<token>=` puts the secret where the name goes.
const PLAIN_NAME = /^[A-Za-z_]{1,32}$/;

/** A connection URL (database, Redis) with its password replaced: safe to log. */
export function urlWithoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** The URL with every query value but `operationName` replaced, and odd names too: safe to log. */
export function safeUrl(url: string): string {
  const mark = url.indexOf('?');
  if (mark === -1) return url;
  const shown: string[] = [];
  for (const part of url.slice(mark + 1).split('&')) {
    if (part === '') continue;
    const [key = '', value = ''] = [...new URLSearchParams(part)][0] ?? [];
    if (!part.includes('=') || !PLAIN_NAME.test(key)) {
      shown.push(REDACTED);
      continue;
    }
    shown.push(`${key}=${VISIBLE_QUERY_PARAMS.has(key) ? encodeURIComponent(value) : REDACTED}`);
  }
  return `${url.slice(0, mark)}?${shown.join('&')}`;
}

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remoteAddress?: string | undefined };
  headers?: Record<string, unknown>;
}

// PostgreSQL errors carry the offending row ("Failing row contains (...)") in
// `detail`, which may hold a password hash or other user data: never logged.
const ROW_DATA_FIELDS = ['detail', 'where', 'parameters', 'parameter'] as const;

export const serializers = {
  err(error: unknown) {
    const serialized = stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
    for (const field of ROW_DATA_FIELDS) delete serialized[field];
    return serialized;
  },
  req(request: RequestLike) {
    return {
      method: request.method,
      url: safeUrl(request.url ?? ''),
      remoteAddress: request.ip ?? request.socket?.remoteAddress,
      userAgent: request.headers?.['user-agent'],
      origin: request.headers?.['origin'],
    };
  },
  res(reply: { statusCode?: number }) {
    return { statusCode: reply.statusCode };
  },
};

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: REDACTED }, serializers };
  return destination === undefined ? pino(options) : pino(options, destination);
}
