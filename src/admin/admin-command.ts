/**
 * `npm run admin -- grant <email> | revoke <email> | list`: who may call
 * `systemAnnounce`. The role is stored with the user (users.role), so only
 * someone who can run this against the database grants it; registering an
 * address proves nothing. Each change writes one audit line.
 */
import { normalizeEmail, type Role, type UserRow } from '../accounts/index.js';

export const ADMIN_USAGE = `Usage: npm run admin -- <command>
  grant <email>    give the account with this email the admin role
  revoke <email>   take the admin role away
  list             list the accounts with the admin role`;

/** What the command needs from the store (UsersRepo has it). */
export interface AdminUsers {
  setRole(emailNormalized: string, role: Role, now: number): Promise<UserRow | undefined>;
  withRole(role: Role): Promise<UserRow[]>;
}

export interface AdminIo {
  /** Results, one line each. */
  out(line: string): void;
  /** Errors and usage. */
  err(line: string): void;
  /** The audit trail: one structured line per change. */
  audit(entry: { action: 'admin.grant' | 'admin.revoke'; userId: string; email: string }, message: string): void;
  now(): number;
}

/** Runs one admin command; resolves the exit code (0 done, 1 refused, 2 usage). */
export async function runAdminCommand(args: readonly string[], users: AdminUsers, io: AdminIo): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'list' && rest.length === 0) {
    const admins = await users.withRole('admin');
    if (admins.length === 0) io.out('No account has the admin role.');
    for (const user of admins) io.out(`${user.email}\t${user.id}`);
    return 0;
  }
  if ((command === 'grant' || command === 'revoke') && rest.length === 1 && (rest[0] ?? '').trim() !== '') {
    const email = normalizeEmail(rest[0] as string);
    const role: Role = command === 'grant' ? 'admin' : 'user';
    const before = await users.setRole(email, role, io.now());
    if (before === undefined) {
      io.err(`No account has the email ${email}.`);
      return 1;
    }
    if (before.role === role) {
      io.out(command === 'grant' ? `${before.email} is already an admin.` : `${before.email} is not an admin.`);
      return 0;
    }
    io.audit(
      { action: command === 'grant' ? 'admin.grant' : 'admin.revoke', userId: before.id, email: before.email },
      command === 'grant' ? 'admin role granted' : 'admin role revoked',
    );
    io.out(command === 'grant' ? `Granted the admin role to ${before.email}.` : `Revoked the admin role from ${before.email}.`);
    return 0;
  }
  io.err(ADMIN_USAGE);
  return 2;
}
