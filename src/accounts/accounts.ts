/**
 * The account use cases behind the GraphQL mutations: register, login,
 * logout, logout everywhere, change password. Inputs are checked here and
 * failures are {@link ClientError}s with a stable code.
 */
import { ClientError, ErrorCode } from '../graphql/errors.js';
import type { UsersRepo } from '../store/users-repo.js';
import type { SessionRow, UserRow } from '../store/tables.js';
import { checkEmail, checkName, checkPassword, hasControlCharacter, normalizeEmail } from './input-rules.js';
import { burnVerificationTime, hashPassword, prepareDecoy, verifyPassword } from './passwords.js';
import type { RateLimiter } from './rate-limiter.js';
import type { Sessions } from './sessions.js';
import { newId } from './session-token.js';

export interface SignIn {
  readonly user: UserRow;
  readonly session: SessionRow;
  /** The secret for the session cookie. */
  readonly secret: string;
}

export interface AuthLimiters {
  readonly perIp: RateLimiter;
  readonly perEmail: RateLimiter;
}

const invalidCredentials = () => new ClientError(ErrorCode.INVALID_CREDENTIALS, 'Email or password is incorrect.');

export class Accounts {
  constructor(
    private readonly users: UsersRepo,
    private readonly sessions: Sessions,
    private readonly limiters: AuthLimiters,
    private readonly now: () => number = Date.now,
  ) {
    prepareDecoy();
  }

  async register(
    input: { email: string; password: string; name?: string | null | undefined },
    client: { ip: string; userAgent: string | undefined },
  ): Promise<SignIn> {
    const email = checkEmail(input.email);
    const password = checkPassword(input.password);
    const name = checkName(input.name);
    this.#limit(client.ip, normalizeEmail(email));
    const now = this.now();
    const user: UserRow = {
      id: newId(),
      email,
      email_normalized: normalizeEmail(email),
      name,
      password_hash: await hashPassword(password),
      created_at: now,
      updated_at: now,
    };
    if (!(await this.users.insert(user))) {
      throw new ClientError(ErrorCode.EMAIL_TAKEN, 'An account with this email already exists.', { field: 'email' });
    }
    const { secret, session } = await this.sessions.create(user.id, client.userAgent);
    return { user, session, secret };
  }

  async login(
    input: { email: string; password: string },
    client: { ip: string; userAgent: string | undefined },
  ): Promise<SignIn> {
    const email = normalizeEmail(input.email);
    this.#limit(client.ip, email);
    // Over-long input, or an email no account can have, is refused the same way as
    // a wrong password (and before hashing it or querying with it).
    if (input.password.length > 4 * 1024 || email.length > 254 || hasControlCharacter(email)) throw invalidCredentials();
    const user = await this.users.byNormalizedEmail(email);
    if (user === undefined) {
      await burnVerificationTime(input.password);
      throw invalidCredentials();
    }
    if (!(await verifyPassword(user.password_hash, input.password))) throw invalidCredentials();
    const { secret, session } = await this.sessions.create(user.id, client.userAgent);
    return { user, session, secret };
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
    client: { ip: string },
  ): Promise<void> {
    this.#limit(client.ip, user.email_normalized);
    const newPassword = checkPassword(input.newPassword, 'newPassword');
    if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
      throw new ClientError(ErrorCode.INVALID_CREDENTIALS, 'The current password is incorrect.', {
        field: 'currentPassword',
      });
    }
    await this.users.setPasswordHash(user.id, await hashPassword(newPassword), this.now());
    await this.sessions.endAllForUser(user.id, session.id);
  }

  #limit(ip: string, email: string): void {
    for (const decision of [this.limiters.perIp.hit(`ip:${ip}`), this.limiters.perEmail.hit(`email:${email}`)]) {
      if (!decision.allowed) {
        throw new ClientError(ErrorCode.RATE_LIMITED, `Too many attempts; try again in ${decision.retryAfterSeconds} s.`, {
          retryAfterSeconds: decision.retryAfterSeconds,
        });
      }
    }
  }
}
