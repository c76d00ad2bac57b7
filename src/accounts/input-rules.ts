/** The rules for account input; each failure names the field it is about. */
import { badInput } from '../graphql/errors.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './passwords.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// PostgreSQL text cannot hold NUL; no control character belongs in an email or a name.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Whether the text has a control character (NUL included), which no stored field may hold. */
export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Whether a normalised email could belong to an account (every stored email
 * passed {@link checkEmail}). Sign-in checks this before counting an attempt,
 * so that strings no account can have create no rate-limit window.
 */
export function isPossibleEmail(normalized: string): boolean {
  return normalized.length <= 254 && EMAIL.test(normalized) && !CONTROL.test(normalized);
}

export function checkEmail(email: string, field = 'email'): string {
  const trimmed = email.trim();
  if (trimmed.length > 254 || !EMAIL.test(trimmed) || CONTROL.test(trimmed)) throw badInput(field, 'Enter a valid email address.');
  return trimmed;
}

export function checkPassword(password: string, field = 'password'): string {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw badInput(field, `Password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`);
  }
  return password;
}

export function checkName(name: string | null | undefined, field = 'name'): string | null {
  if (name === null || name === undefined) return null;
  const trimmed = name.trim();
  if (trimmed.length > 200) throw badInput(field, 'Name must be at most 200 characters long.');
  if (CONTROL.test(trimmed)) throw badInput(field, 'Name must not contain control characters.');
  return trimmed === '' ? null : trimmed;
}
