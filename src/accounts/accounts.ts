/**
 * The account use cases behind the GraphQL mutations: register, login,
 * logout, logout everywhere, change password. Inputs are checked here and
 * failures are {@link ClientError}s with a stable code.
 */
import { ClientError, ErrorCode } from '../graphql/errors.js';
import type { UsersRepo } from '../store/users-repo.js';
import type { SessionRow, UserRow } from '../store/tables.js';
import type { DeviceCookies } from './device-cookie.js';
import { checkEmail, checkName, checkPassword, isPossibleEmail, normalizeEmail } from './input-rules.js';
import { burnVerificationTime, hashPassword, prepareDecoy, verifyPassword } from './passwords.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Sessions } from './sessions.js';
import { newId } from './session-token.js';
import { type SignInLimits, signInRules } from './sign-in-limits.js';

export interface SignIn {
  readonly user: UserRow;
  readonly session: SessionRow;
  /** The secret for the session cookie. */
  readonly secret: string;
  /** A fresh device cookie value for the browser that signed in. */
  readonly device: string;
}

/** Who is asking: the address the limits count, and the device cookie the browser sent. */
export interface SignInClient {
  readonly ip: string;
  readonly userAgent: string | undefined;
  /** The raw device cookie, if any (verified here against the email being signed in). */
  readonly deviceCookie?: string | undefined;
}

export interface AuthLimits {
  readonly limiter: RateLimiter;
  readonly limits: SignInLimits;
  readonly devices: DeviceCookies;
}

const invalidCredentials = () => new ClientError(ErrorCode.INVALID_CREDENTIALS, 'Email or password is incorrect.');

export class Accounts {
  constructor(
    private readonly users: UsersRepo,
    private readonly sessions: Sessions,
    private readonly auth: AuthLimits,
    private readonly now: () => number = Date.now,
  ) {
    prepareDecoy();
  }

  async register(
    input: { email: string; password: string; name?: string | null | undefined },
    client: SignInClient,
  ): Promise<SignIn> {
    const email = checkEmail(input.email);
    const password = checkPassword(input.password);
    const name = checkName(input.name);
    const normalized = normalizeEmail(email);
    await this.#limit(client, normalized);
    const now = this.now();
    const user: UserRow = {
      id: newId(),
      email,
      email_normalized: normalized,
      name,
      password_hash: await hashPassword(password),
      role: 'user',
      created_at: now,
      updated_at: now,
    };
    if (!(await this.users.insert(user))) {
      throw new ClientError(ErrorCode.EMAIL_TAKEN, 'An account with this email already exists.', { field: 'email' });
    }
    const { secret, session } = await this.sessions.create(user.id, client.userAgent);
    return { user, session, secret, device: this.auth.devices.issue(normalized) };
  }

  async login(input: { email: string; password: string }, client: SignInClient): Promise<SignIn> {
    const email = normalizeEmail(input.email);
    // Over-long input, or an email no account can have, is refused the same way as
    // a wrong password, before it is counted (no window is made for it), hashed or
    // used in a query.
    if (input.password.length > 4 * 1024 || !isPossibleEmail(email)) throw invalidCredentials();
    await this.#limit(client, email);
    const user = await this.users.byNormalizedEmail(email);
    if (user === undefined) {
      await burnVerificationTime(input.password);
      throw invalidCredentials();
    }
    if (!(await verifyPassword(user.password_hash, input.password))) throw invalidCredentials();
    const { secret, session } = await this.sessions.create(user.id, client.userAgent);
    return { user, session, secret, device: this.auth.devices.issue(email) };
  }

  logout(session: SessionRow): Promise<void> {
    return this.sessions.end(session.id);
  }

  logoutAll(user: UserRow): Promise<void> {
    return this.sessions.endAllForUser(user.id);
  }

  /** Changes the password and ends every other session of the user. */
  async changePassword(
    user: UserRow,
    session: SessionRow,
    input: { currentPassword: string; newPassword: string },
    client: SignInClient,
  ): Promise<void> {
    const newPassword = checkPassword(input.newPassword, 'newPassword');
    await this.#limit(client, user.email_normalized);
    if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
      throw new ClientError(ErrorCode.INVALID_CREDENTIALS, 'The current password is incorrect.', {
        field: 'currentPassword',
      });
    }
    await this.users.setPasswordHash(user.id, await hashPassword(newPassword), this.now());
    await this.sessions.endAllForUser(user.id, session.id);
  }

  async #limit(client: SignInClient, email: string): Promise<void> {
    const deviceId = this.auth.devices.verify(client.deviceCookie, email);
    const decision = await this.auth.limiter.hit(signInRules(this.auth.limits, { ip: client.ip, email, deviceId }));
    if (!decision.allowed) {
      throw new ClientError(ErrorCode.RATE_LIMITED, `Too many attempts; try again in ${decision.retryAfterSeconds} s.`, {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
  }
}
