/**
 * Which attempt counters a sign-in (register, login, change password) is
 * checked against, in order; counting stops at the first refusal.
 *
 * - Every attempt: its address (`AUTH_RATE_LIMIT_PER_IP`), first, so that an
 *   address over its limit creates no per-email window.
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

export function signInRules(limits: SignInLimits, attempt: Attempt): RateRule[] {
  // An address holds no '|', so `<ip>|<email>` cannot be read two ways.
  const ip = attempt.ip.slice(0, 64);
  const rules: RateRule[] = [{ key: `ip:${ip}`, limit: limits.perIp }];
  if (attempt.deviceId !== undefined) {
    rules.push({ key: `device:${attempt.deviceId}`, limit: limits.perDevice });
  } else {
    rules.push({ key: `email-ip:${ip}|${attempt.email}`, limit: limits.perEmailAddress });
    rules.push({ key: `email:${attempt.email}`, limit: limits.perEmail });
  }
  return rules;
}
