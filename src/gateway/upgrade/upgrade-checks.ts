/**
 * The checks on a WebSocket upgrade request, made before any WebSocket exists
 * and answered with a plain HTTP status: wrong path, credentials in the URL,
 * a foreign Origin, too many connections from one address. Pure.
 */
import type { OriginPolicy } from '../../security/origin-policy.js';
import { credentialParamIn } from '../../security/url-credentials.js';

export type UpgradeVerdict =
  | { readonly ok: true; readonly originAllowed: boolean }
  | { readonly ok: false; readonly status: number; readonly reason: string };

export const UpgradeRefusal = {
  notFound: 'no WebSocket endpoint here; use /graphql',
  credentialInUrl:
    'credentials in the URL are refused (URLs end up in logs): send the ticket in the connection_init payload {"token": "..."}',
  origin: 'origin not allowed',
  tooManyFromAddress: 'too many connections from this address',
} as const;

export interface UpgradeRequestView {
  readonly url: string;
  readonly origin: string | undefined;
  readonly connectionsFromAddress: number;
}

export function checkUpgrade(
  request: UpgradeRequestView,
  origins: OriginPolicy,
  maxConnectionsPerAddress: number,
  path = '/graphql',
): UpgradeVerdict {
  const mark = request.url.indexOf('?');
  const pathname = mark === -1 ? request.url : request.url.slice(0, mark);
  if (pathname !== path) return { ok: false, status: 404, reason: UpgradeRefusal.notFound };
  if (mark !== -1) {
    if (credentialParamIn(new URLSearchParams(request.url.slice(mark + 1))) !== undefined) {
      return { ok: false, status: 400, reason: UpgradeRefusal.credentialInUrl };
    }
  }
  // Browsers always send Origin; a foreign one is Cross-Site WebSocket Hijacking.
  // Non-browser clients send none: they may connect, but never with the cookie.
  if (request.origin !== undefined && !origins.allows(request.origin)) {
    return { ok: false, status: 403, reason: UpgradeRefusal.origin };
  }
  if (request.connectionsFromAddress >= maxConnectionsPerAddress) {
    return { ok: false, status: 429, reason: UpgradeRefusal.tooManyFromAddress };
  }
  return { ok: true, originAllowed: request.origin !== undefined };
}
