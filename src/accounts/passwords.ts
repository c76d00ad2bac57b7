/**
 * Password hashing with Argon2id at OWASP's recommended minimum
 * (19 MiB memory, 2 iterations, 1 lane), and the input rules for passwords.
 */
import argon2 from 'argon2';

const OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

// Verified against when the email is unknown, so that a miss costs the same
// time as a wrong password and response times do not reveal which accounts exist.
let decoy: Promise<string> | undefined;

/** Hashes the decoy ahead of time, so that the first unknown email costs no more than later ones. */
export function prepareDecoy(): void {
  decoy ??= hashPassword('tessera-decoy-password-never-matches');
  decoy.catch(() => {}); // a failure surfaces where the decoy is awaited
}

export async function burnVerificationTime(password: string): Promise<void> {
  prepareDecoy();
  await verifyPassword(await (decoy as Promise<string>), password);
}
