/**
 * CSRF prevention as Apollo Server's `csrfPrevention` does it: a request a
 * browser may send cross-site without a CORS preflight (no content type, or a
 * "simple" one: text/plain, form encodings) is refused unless it carries a
 * header that only a preflighted request can carry. JSON POSTs pass; GET needs
 * one of the headers below.
 */
export const PREFLIGHT_HEADERS = ['graphql-require-preflight', 'apollo-require-preflight', 'x-apollo-operation-name'] as const;

const SIMPLE_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);

export function csrfRefusal(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  for (const name of PREFLIGHT_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string' && value !== '') return undefined;
  }
  const contentType = headers['content-type'];
  const mediaType = typeof contentType === 'string' ? contentType.split(';')[0]?.trim().toLowerCase() : undefined;
  if (mediaType !== undefined && mediaType !== '' && !SIMPLE_TYPES.has(mediaType)) return undefined;
  return (
    'This request has been blocked as a possible Cross-Site Request Forgery: send it with ' +
    "'Content-Type: application/json' or a non-empty 'GraphQL-Require-Preflight' header."
  );
}
