/** The session cookie's secret: 256 random bits; only its SHA-256 is stored. */
import { createHash, randomBytes } from 'node:crypto';

export function newSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSessionSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A well-formed secret is 43 base64url characters; anything else is not looked up. */
export function isWellFormedSecret(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

export function newId(): string {
  return randomBytes(16).toString('base64url');
}
