/**
 * Whether a stream request may use the session cookie: the socket's rule (a
 * cookie-authenticated stream is what a cross-site page would try to open), with
 * Fetch Metadata for the one browser request that carries no Origin. Pure.
 *
 * - `Origin` in ALLOWED_ORIGINS: the cookie counts.
 * - another `Origin` (`null` included): a request carrying the cookie is refused
 *   with 403 `ORIGIN_FORBIDDEN`, as on the HTTP route; without a cookie it goes on,
 *   anonymous or with a ticket (CORS keeps a foreign page from reading it anyway).
 * - no `Origin` and `Sec-Fetch-Site: same-origin`: a same-origin EventSource or
 *   fetch GET (browsers send no Origin on those): the cookie counts.
 * - anything else without `Origin` (a non-browser client, a cross-site navigation,
 *   `Sec-Fetch-Site: none`): the cookie is ignored, as the socket ignores it from a
 *   client that sends no Origin; such clients authenticate with a ticket.
 */
import type { RequestHeaders } from '../security/csrf.js';

export type StreamCookieVerdict =
  | { readonly cookie: 'use' }
  | { readonly cookie: 'ignore' }
  | { readonly cookie: 'refuse'; readonly status: 403; readonly message: string };

const USE: StreamCookieVerdict = { cookie: 'use' };
const IGNORE: StreamCookieVerdict = { cookie: 'ignore' };

/**
 * @param hasCookie whether the request carries the session cookie
 * @param allowsOrigin whether an Origin is in ALLOWED_ORIGINS (OriginPolicy.allows)
 */
export function streamCookieRule(headers: RequestHeaders, hasCookie: boolean, allowsOrigin: (origin: string) => boolean): StreamCookieVerdict {
  const origin = headers['origin'];
  if (typeof origin === 'string') {
    if (allowsOrigin(origin)) return USE;
    if (!hasCookie) return IGNORE;
    return { cookie: 'refuse', status: 403, message: `Origin ${origin.slice(0, 200)} is not allowed.` };
  }
  if (origin !== undefined) {
    // Several Origin headers: no browser sends that.
    return hasCookie ? { cookie: 'refuse', status: 403, message: 'Origin is not allowed.' } : IGNORE;
  }
  const site = headers['sec-fetch-site'];
  return typeof site === 'string' && site.trim().toLowerCase() === 'same-origin' ? USE : IGNORE;
}
