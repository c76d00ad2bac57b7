/**
 * Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device
 * Cookies"): a successful sign-in gives the browser a signed cookie naming a
 * random device id and binding the normalised email it signed in with. A
 * later sign-in for that email from a browser presenting a valid cookie is
 * counted against that device's own limit instead of the email's lockout, so
 * a distributed guessing attack on an email cannot lock its owner out.
 *
 * Value: `v1.<device id>.<issued at, seconds, base 36>.<HMAC-SHA256>`, the MAC
 * over `v1.<device id>.<issued at>.<normalised email>`. The email is not in the
 * cookie: the cookie verifies only against the email of the sign-in attempt.
 * Keys are derived from the ticket secrets with their own label, so no new
 * secret is needed; the first key signs and all verify (rotation).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a device stays known after its last successful sign-in. */
export const DEVICE_COOKIE_TTL_SECONDS = 180 * 86_400;

const LABEL = 'tessera device-cookie v1';
const SHAPE = /^v1\.([A-Za-z0-9_-]{22})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{43})$/;

/** `__Host-` (with Secure) binds the cookie to this host; the same rule as the session cookie. */
export function deviceCookieName(secure: boolean): string {
  return secure ? '__Host-tessera_device' : 'tessera_device';
}

export class DeviceCookies {
  readonly #keys: readonly Buffer[];

  constructor(
    secrets: readonly string[],
    private readonly now: () => number = Date.now,
    private readonly ttlSeconds = DEVICE_COOKIE_TTL_SECONDS,
  ) {
    if (secrets.length === 0) throw new Error('device cookies need at least one secret');
    // A distinct label: a device-cookie MAC can never be mistaken for a ticket's.
    this.#keys = secrets.map((secret) => createHmac('sha256', secret).update(LABEL).digest());
  }

  /** A new cookie value for a browser that just signed in as `normalizedEmail`. */
  issue(normalizedEmail: string): string {
    const deviceId = randomBytes(16).toString('base64url');
    const issuedAt = Math.floor(this.now() / 1000).toString(36);
    const body = `v1.${deviceId}.${issuedAt}`;
    return `${body}.${this.#mac(this.#keys[0] as Buffer, body, normalizedEmail).toString('base64url')}`;
  }

  /** The device id when `value` is a valid, unexpired cookie issued for this email; else undefined. */
  verify(value: string | undefined, normalizedEmail: string): string | undefined {
    if (value === undefined || value.length > 100) return undefined;
    const match = SHAPE.exec(value);
    if (match === null) return undefined;
    const [, deviceId, issuedAt, mac] = match as unknown as [string, string, string, string];
    const age = Math.floor(this.now() / 1000) - parseInt(issuedAt, 36);
    if (age < -60 || age > this.ttlSeconds) return undefined;
    const given = Buffer.from(mac, 'base64url');
    const body = `v1.${deviceId}.${issuedAt}`;
    let valid = false;
    for (const key of this.#keys) {
      const expected = this.#mac(key, body, normalizedEmail);
      // Every key is tried, whether or not an earlier one matched: constant work.
      if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
    }
    return valid ? deviceId : undefined;
  }

  #mac(key: Buffer, body: string, normalizedEmail: string): Buffer {
    return createHmac('sha256', key).update(`${body}.${normalizedEmail}`).digest();
  }
}
