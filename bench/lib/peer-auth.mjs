/**
 * The checks the peers make, so that "connect" measures the same work for
 * every server: the Origin at the upgrade, and a single-use ticket signed with
 * HMAC-SHA256 naming a live session of a known user. Tessera makes these with
 * its own code (and reads the session from its SQLite store); the peers with
 * this module and in-memory maps, which favours them.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const secret = randomBytes(32);
const TTL_MS = 600_000;

const sign = (body) => createHmac('sha256', secret).update(body).digest();

export class PeerAuth {
  /** sessionId → user */
  #sessions = new Map();
  /** jti → expiry of spent tickets */
  #spent = new Map();

  constructor(allowedOrigins) {
    this.allowedOrigins = new Set(allowedOrigins);
  }

  originAllowed(origin) {
    return origin !== undefined && this.allowedOrigins.has(origin);
  }

  /** Creates users 0..n-1, each with one session. */
  prepare(n) {
    for (let i = this.#sessions.size; i < n; i++) this.#sessions.set(`s${i}`, { id: `u${i}`, email: `u${i}@bench.local` });
  }

  ticket(index) {
    const body = Buffer.from(
      JSON.stringify({ sid: `s${index}`, uid: `u${index}`, exp: Date.now() + TTL_MS, jti: randomBytes(12).toString('base64url') }),
    ).toString('base64url');
    return `${body}.${sign(body).toString('base64url')}`;
  }

  /** The ticket's user, or undefined when it is malformed, forged, expired, spent, or its session is gone. */
  verify(token) {
    if (typeof token !== 'string') return undefined;
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const body = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = sign(body);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
    let claims;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    } catch {
      return undefined;
    }
    if (typeof claims.exp !== 'number' || claims.exp <= Date.now()) return undefined;
    if (this.#spent.has(claims.jti)) return undefined;
    this.#spent.set(claims.jti, claims.exp);
    const user = this.#sessions.get(claims.sid);
    return user !== undefined && user.id === claims.uid ? user : undefined;
  }
}

/** The user id in a peer ticket, unverified: what the raw floor uses to route per-user frames. */
export function unverifiedUserId(token) {
  try {
    return JSON.parse(Buffer.from(String(token).split('.')[0], 'base64url').toString()).uid;
  } catch {
    return undefined;
  }
}
