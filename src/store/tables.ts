/** The database tables as Kysely sees them. Times are milliseconds since the epoch. */
import type { Generated, Insertable, Selectable } from 'kysely';

/** What a user may do beyond their own account. Checked on the row loaded for each request. */
export type Role = 'user' | 'admin';

export const ROLES: readonly Role[] = ['user', 'admin'];

export interface UsersTable {
  id: string;
  email: string;
  /** `email` lower-cased: the unique key, so that case never makes a second account. */
  email_normalized: string;
  name: string | null;
  password_hash: string;
  /** `admin` may call `systemAnnounce`; granted and revoked by `npm run admin` only. */
  role: Role;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** Public id of the session: named by tickets and revocation events, never a credential. */
  id: string;
  /** SHA-256 (hex) of the cookie's secret; the secret itself is never stored. */
  token_hash: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  idle_expires_at: number;
  absolute_expires_at: number;
  user_agent: string | null;
}

/** Ticket ids already used, when Redis is not configured (tickets/store-replay-guard.ts). */
export interface UsedTicketsTable {
  /** The ticket's random id (`jti`): not a credential on its own. */
  jti: string;
  /** The ticket's expiry: the row is purged after it. */
  expires_at: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  used_tickets: UsedTicketsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type NewSession = Insertable<SessionsTable>;
export type { Generated };
