/**
 * Grants the admin role in a test's database through the same repository
 * function `npm run admin -- grant` uses (test/http/admin-command.test.ts runs
 * the command itself).
 */
import { normalizeEmail } from '../../src/accounts/input-rules.js';
import { openStore } from '../../src/store/database.js';
import { UsersRepo } from '../../src/store/users-repo.js';
import type { TestServer } from './server.js';

/** Gives the registered account `email` the admin role in the server's own store. */
export async function grantAdmin(server: TestServer, email: string): Promise<void> {
  const before = await new UsersRepo(server.tessera.store.db).setRole(normalizeEmail(email), 'admin', Date.now());
  if (before === undefined) throw new Error(`grantAdmin: no account ${email}`);
}

/** Takes the role away again. */
export async function revokeAdmin(server: TestServer, email: string): Promise<void> {
  const before = await new UsersRepo(server.tessera.store.db).setRole(normalizeEmail(email), 'user', Date.now());
  if (before === undefined) throw new Error(`revokeAdmin: no account ${email}`);
}

/** The same, in the database at `databaseUrl` (for tests whose servers are other processes). */
export async function grantAdminIn(databaseUrl: string, email: string): Promise<void> {
  const store = openStore(databaseUrl, '.');
  try {
    const before = await new UsersRepo(store.db).setRole(normalizeEmail(email), 'admin', Date.now());
    if (before === undefined) throw new Error(`grantAdminIn: no account ${email}`);
  } finally {
    await store.close();
  }
}
