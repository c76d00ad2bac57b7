/**
 * Which attempt counters a sign-in (register, login, change password) is
 * checked against, in order; counting stops at the first refusal.
 *
 * - Every attempt: its address (`AUTH_RATE_LIMIT_PER_IP`), first, so that an
 *   address over its limit creates no per-email window. An IPv6 address
 *   counts by its /64, which one host or customer usually holds whole.
 * - From a browser with a valid device cookie for this email: that device's
 *   own limit (`AUTH_RATE_LIMIT_PER_DEVICE`) and no per-email limit, so the
 *   owner is never locked out by someone else's guesses.
 * - From any other client: the (email, address) pair
 *   (`AUTH_RATE_LIMIT_PER_EMAIL_ADDRESS`), then the email across all untrusted
 *   clients (`AUTH_RATE_LIMIT_PER_EMAIL`), so a guesser spread over many
 *   addresses gets no more guesses per window than that.
 */
import type { RateRule } from './rate-limiter.js';

export interface SignInLimits {
  readonly perIp: number;
  readonly perEmail: number;
  readonly perEmailAddress: number;
  readonly perDevice: number;
}

export interface Attempt {
  readonly ip: string;
  /** Normalised and validated (at most 254 characters): keys stay bounded in length. */
  readonly email: string;
  /** The device id of a valid device cookie for this email, if the client sent one. */
  readonly deviceId: string | undefined;
}

/**
 * The address as the limits count it: IPv4 as it is (an IPv4-mapped IPv6
 * address as its IPv4), IPv6 by its first 64 bits (`2001:db8:1:2::/64`).
 */
export function addressKey(ip: string): string {
  const address = ip.trim().toLowerCase().slice(0, 64);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (mapped !== null) return mapped[1] as string;
  if (!address.includes(':')) return address;
  const [head = '', tail, extra] = address.split('%')[0]!.split('::');
  if (extra !== undefined) return address; // not an IPv6 address: counted as given
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  const prefix = groups.slice(0, 4);
  if (prefix.length < 4 || prefix.some((group) => !/^[0-9a-f]{1,4}$/.test(group))) return address;
  return `${prefix.map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export function signInRules(limits: SignInLimits, attempt: Attempt): RateRule[] {
  // An address key holds no '|', so `<ip>|<email>` cannot be read two ways.
  const ip = addressKey(attempt.ip);
  const rules: RateRule[] = [{ key: `ip:${ip}`, limit: limits.perIp }];
  if (attempt.deviceId !== undefined) {
    rules.push({ key: `device:${attempt.deviceId}`, limit: limits.perDevice });
  } else {
    rules.push({ key: `email-ip:${ip}|${attempt.email}`, limit: limits.perEmailAddress });
    rules.push({ key: `email:${attempt.email}`, limit: limits.perEmail });
  }
  return rules;
}
