/**
 * The HMAC keys for tickets: TICKET_SECRETS when set; otherwise one generated
 * on first start and kept in the data directory (mode 0600), with a warning,
 * since processes on other machines cannot share it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SecretsResult {
  readonly secrets: readonly string[];
  /** Set when the secret was generated or read from the data directory. */
  readonly warning?: string;
}

export function loadTicketSecrets(configured: readonly string[], dataDir: string): SecretsResult {
  if (configured.length > 0) return { secrets: configured };
  const file = join(dataDir, 'ticket-secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) {
      return { secrets: [existing], warning: `TICKET_SECRETS is not set; using the secret kept in ${file}` };
    }
  } catch {
    // Not there yet: made below.
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch {
    // Another process made it first: use theirs.
    const existing = readFileSync(file, 'utf8').trim();
    return { secrets: [existing], warning: `TICKET_SECRETS is not set; using the secret kept in ${file}` };
  }
  return { secrets: [secret], warning: `TICKET_SECRETS is not set; generated a secret and kept it in ${file}` };
}
