/** Issues socket tickets for a session, and checks presented ones including single use. */
import type { ReplayGuard } from './replay-guard.js';
import { signTicket, type TicketCheck, TicketFailure, verifyTicket } from './ticket.js';

export class TicketIssuer {
  constructor(
    private readonly secrets: readonly string[],
    private readonly ttlSeconds: number,
    private readonly replayGuard: ReplayGuard,
    private readonly now: () => number = Date.now,
  ) {
    if (secrets.length === 0) throw new Error('TicketIssuer needs at least one secret');
  }

  issue(subject: { sessionId: string; userId: string }): string {
    return signTicket(subject, this.secrets[0] as string, this.now(), this.ttlSeconds);
  }

  /**
   * Verifies the ticket and spends it: a second call with the same ticket fails with
   * `ticket already used`. With a guard that remembers only since its start, a ticket
   * signed before then fails with `ticket issued before this server started`.
   */
  async redeem(ticket: unknown): Promise<TicketCheck> {
    const check = verifyTicket(ticket, this.secrets, this.now());
    if (!check.ok) return check;
    const since = this.replayGuard.rememberedSince;
    if (since !== undefined && !(check.claims.iat !== undefined && check.claims.iat >= since)) {
      return { ok: false, reason: TicketFailure.BEFORE_START };
    }
    if (!(await this.replayGuard.claim(check.claims.jti, check.claims.exp))) {
      return { ok: false, reason: TicketFailure.REPLAYED };
    }
    return check;
  }
}
