/**
 * `tessera/accounts`: Tessera's own accounts, an optional module — email and
 * password accounts (argon2id), sessions in your database (Kysely: PostgreSQL
 * or SQLite) with idle and absolute expiry, sign-in rate limits, and
 * `tesseraSessions(sessions)`, their SessionSource for `createGateway`.
 * Install its optional peers to use it: `argon2` and `kysely` (and your
 * database's driver). Tessera's demo app is built on it; the GraphQL schema of
 * the demo (accountsRegister, accountsSignIn…) is not part of the package.
 */
export { Accounts, type AuthLimits, type SignIn, type SignInClient } from './accounts.js';
export { Sessions, isSessionLive, sessionExpiresAt, type Authenticated, type SessionTtls, type SessionsLog } from './sessions.js';
export { MemoryRateLimiter, type RateLimiter, type RateDecision, type RateRule } from './rate-limiter.js';
export { RedisRateLimiter } from './redis-rate-limiter.js';
export { DeviceCookies, deviceCookieName, DEVICE_COOKIE_TTL_SECONDS } from './device-cookie.js';
/** An email as accounts store and look it up (trimmed, lower-cased): normalize before a lookup of your own. */
export { normalizeEmail } from './input-rules.js';
export type { SignInLimits } from './sign-in-limits.js';
export { tesseraSessions, forSocket, TESSERA_SESSION_COOKIE, type TesseraSessionsOptions } from '../sessions/tessera-sessions.js';
export { UsersRepo } from '../store/users-repo.js';
export { SessionsRepo } from '../store/sessions-repo.js';
export { migrateToLatest } from '../store/migrations.js';
export { StoreReplayGuard } from '../tickets/store-replay-guard.js';
export { type DirectSqlite, runDirectlyOn } from '../store/run-compiled.js';
export type { Database, UserRow, SessionRow, Role } from '../store/tables.js';
