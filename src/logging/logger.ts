/**
 * The pino logger, set up so that secrets never reach a log line: cookies,
 * Set-Cookie, Authorization and credential fields are censored by path, and
 * URLs are logged with their query values hidden (only `operationName` is
 * kept), since a query string may carry a token or GraphQL variables.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

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

/** The URL with every query value but `operationName` replaced: safe to log. */
export function safeUrl(url: string): string {
  const mark = url.indexOf('?');
  if (mark === -1) return url;
  const params = new URLSearchParams(url.slice(mark + 1));
  const shown: string[] = [];
  for (const [key, value] of params) {
    shown.push(`${encodeURIComponent(key)}=${VISIBLE_QUERY_PARAMS.has(key) ? encodeURIComponent(value) : REDACTED}`);
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

export const serializers = {
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
