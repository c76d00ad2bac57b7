/**
 * The client's address behind trusted proxies (TRUST_PROXY). HTTP (Fastify)
 * and the WebSocket upgrade use the same rule, so that rate limits, the
 * per-address socket cap and logs all see the same address.
 */
import type { IncomingMessage } from 'node:http';
import proxyaddr from '@fastify/proxy-addr';

/** `false`: no proxy; `true`: trust every hop; a number: that many hops; a list: those addresses/CIDRs. */
export type TrustProxy = boolean | number | readonly string[];

export type TrustFunction = (address: string, hop: number) => boolean;

/** The rule as a function (what Fastify's `trustProxy` and proxy-addr take), or false for none. */
export function trustFunction(trust: TrustProxy): TrustFunction | false {
  if (trust === false) return false;
  if (trust === true) return () => true;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile([...trust]);
}

export function clientAddressResolver(trust: TrustProxy): (request: IncomingMessage) => string {
  const trusts = trustFunction(trust);
  if (trusts === false) return (request) => request.socket.remoteAddress ?? 'unknown';
  return (request) => proxyaddr(request, trusts);
}
