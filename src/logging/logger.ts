/**
 * The pino logger, set up so that secrets never reach a log line: cookies,
 * Set-Cookie, Authorization and credential fields are censored by path, and
 * URLs are logged with their query values hidden (only `operationName` is
 * kept), since a query string may carry a token or GraphQL variables; path
 * segments, `operationName`, User-Agent and Origin are scrubbed of anything
 * shaped like a ticket or a session secret.
 */
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import { REDACTED, safeUrl, scrubHeader } from '../index.js';

export { REDACTED, safeUrl, scrubHeader, scrubSecrets, urlWithoutPassword } from '../index.js';

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
      userAgent: scrubHeader(request.headers?.['user-agent']),
      origin: scrubHeader(request.headers?.['origin']),
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
