/**
 * Query parameter names that look like they carry a credential (a ticket, a
 * session, a key): such a URL is refused, because URLs end up in logs, proxy
 * logs and browser history. One rule for the WebSocket upgrade
 * (gateway/upgrade/upgrade-checks.ts) and GraphQL over SSE (sse/protocol.ts).
 */
export const CREDENTIAL_PARAM = /token|ticket|auth|jwt|session|csrf|secret|password|key/i;

/** The first parameter name of `search` (without `?`) that looks like a credential, skipping `allowed`. */
export function credentialParamIn(search: URLSearchParams, allowed: ReadonlySet<string> = new Set()): string | undefined {
  for (const name of search.keys()) {
    if (!allowed.has(name) && CREDENTIAL_PARAM.test(name)) return name;
  }
  return undefined;
}
