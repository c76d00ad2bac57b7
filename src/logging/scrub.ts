/**
 * What keeps secrets out of log lines, free of any logger: URLs with their
 * query values hidden (only `operationName` is kept) and path segments,
 * headers and connection URLs scrubbed of anything shaped like a ticket, a
 * session secret or a password. The gateway (which takes any pino-like
 * logger) uses these; logger.ts builds the app's pino logger on them.
 */
export const REDACTED = '[redacted]';


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

// What a credential looks like: a ticket (`t1.<claims>.<mac>`, see tickets/ticket.ts), or any run of
// 32+ base64url characters, which covers a session secret (43, accounts/session-token.ts), a ticket's
// claims or MAC on their own, and bearer-style tokens. Nothing Tessera logs legitimately is that long
// and unbroken (session and user ids are 22 characters).
const TICKET_SHAPED = /t1\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]*/g;
const SECRET_SHAPED = /[A-Za-z0-9_-]{32,}/g;
const LOOKS_SECRET = /t1\.[A-Za-z0-9_-]{16,}\.|[A-Za-z0-9_-]{32,}/;

/** `text` with every ticket- or secret-shaped run replaced: for logged headers and names. */
export function scrubSecrets(text: string): string {
  return text.replace(TICKET_SHAPED, REDACTED).replace(SECRET_SHAPED, REDACTED);
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * A URL path with every segment that holds something credential-shaped replaced, whether
 * written plainly or percent-encoded (`%2E` for the dots, `%41` inside a run).
 */
function safePath(path: string): string {
  if (!LOOKS_SECRET.test(path) && !path.includes('%')) return path;
  return path
    .split('/')
    .map((segment) => (LOOKS_SECRET.test(segment) || LOOKS_SECRET.test(decoded(segment)) ? REDACTED : segment))
    .join('/');
}

/**
 * The URL, safe to log: path segments that look like a ticket or a session secret are replaced;
 * every query value but `operationName` is replaced, and so is `operationName` when it looks
 * like a credential; so is a name that does not read like one.
 */
export function safeUrl(url: string): string {
  const mark = url.indexOf('?');
  if (mark === -1) return safePath(url);
  const shown: string[] = [];
  for (const part of url.slice(mark + 1).split('&')) {
    if (part === '') continue;
    const [key = '', value = ''] = [...new URLSearchParams(part)][0] ?? [];
    if (!part.includes('=') || !PLAIN_NAME.test(key)) {
      shown.push(REDACTED);
      continue;
    }
    const visible = VISIBLE_QUERY_PARAMS.has(key) && !LOOKS_SECRET.test(value);
    shown.push(`${key}=${visible ? encodeURIComponent(value) : REDACTED}`);
  }
  return `${safePath(url.slice(0, mark))}?${shown.join('&')}`;
}

/** A header value for the log, with credential-shaped runs replaced. */
export function scrubHeader(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return scrubSecrets(Array.isArray(value) ? value.join(', ') : String(value));
}
