/**
 * CSRF prevention, two rules:
 *
 * - **POST** (and anything but GET/HEAD), as Apollo Server's `csrfPrevention`: a
 *   request a browser may send cross-site without a CORS preflight (no content
 *   type, or a "simple" one: text/plain, form encodings) is refused unless it
 *   carries a header that only a preflighted request can carry. JSON POSTs pass.
 * - **GET**, by Fetch Metadata resource isolation, so that clients that send
 *   queries as plain GETs (urql's `preferGetMethod: 'within-url-limit'`) work with
 *   their defaults: a browser tells where the request came from (`Sec-Fetch-Site`,
 *   and `Origin` on cross-origin fetches), and a GET is refused when it came from
 *   another site that is not in ALLOWED_ORIGINS. A same-origin browser GET, a URL
 *   the user typed (`none`) and a non-browser client (neither header) pass. A GET
 *   never mutates (405 for a mutation), so what is guarded here is a cross-site
 *   page running queries with the user's cookie (and timing what they return).
 *   A preflight header passes as under the POST rule.
 */
export const PREFLIGHT_HEADERS = ['graphql-require-preflight', 'apollo-require-preflight', 'x-apollo-operation-name'] as const;

export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

const SIMPLE_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);

function hasPreflightHeader(headers: RequestHeaders): boolean {
  return PREFLIGHT_HEADERS.some((name) => {
    const value = headers[name];
    return typeof value === 'string' && value !== '';
  });
}

/** The POST rule: a reason to refuse, or undefined to let it through. */
export function csrfRefusal(headers: RequestHeaders): string | undefined {
  if (hasPreflightHeader(headers)) return undefined;
  const contentType = headers['content-type'];
  const mediaType = typeof contentType === 'string' ? contentType.split(';')[0]?.trim().toLowerCase() : undefined;
  if (mediaType !== undefined && mediaType !== '' && !SIMPLE_TYPES.has(mediaType)) return undefined;
  return (
    'This request has been blocked as a possible Cross-Site Request Forgery: send it with ' +
    "'Content-Type: application/json' or a non-empty 'GraphQL-Require-Preflight' header."
  );
}

/** `Sec-Fetch-Site` values under which a GET passes without an allowed Origin. */
const OWN_SITE = new Set(['same-origin', 'none']);

/**
 * The GET rule (Fetch Metadata resource isolation): a reason to refuse, or undefined.
 * @param allowsOrigin whether an Origin is in ALLOWED_ORIGINS
 */
export function getCsrfRefusal(headers: RequestHeaders, allowsOrigin: (origin: string) => boolean): string | undefined {
  if (hasPreflightHeader(headers)) return undefined;
  const origin = typeof headers['origin'] === 'string' ? headers['origin'] : undefined;
  const rawSite = headers['sec-fetch-site'];
  const site = typeof rawSite === 'string' ? rawSite.trim().toLowerCase() : undefined;
  const refusal = (why: string) =>
    `This GET request has been blocked as a possible Cross-Site Request Forgery: ${why}. ` +
    'Send it from the same origin or an allowed origin (ALLOWED_ORIGINS), or as a POST with ' +
    "'Content-Type: application/json'.";
  // Browsers never let a page forge Origin; "null" (sandboxed, file:, some redirects) is foreign too.
  if (origin !== undefined && !allowsOrigin(origin)) return refusal(`it came from the origin ${origin.slice(0, 200)}, which is not allowed`);
  if (site === undefined || OWN_SITE.has(site)) return undefined;
  // same-site or cross-site (or a value this rule does not know): only from an allowed Origin.
  if (origin === undefined) return refusal(`it came from another site (Sec-Fetch-Site: ${site.slice(0, 40)}) without an allowed Origin`);
  return undefined;
}
