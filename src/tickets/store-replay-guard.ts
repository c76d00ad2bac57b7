/**
 * Single use of tickets on the embedded default (no Redis), remembered in the
 * store so that a restart does not forget them: one row per used ticket id,
 * inserted if absent in one atomic statement, kept until the ticket's own
 * expiry (after which the ticket is refused as expired anyway) and purged then.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/tables.js';
import type { ReplayGuard } from './replay-guard.js';

export class StoreReplayGuard implements ReplayGuard {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(jti: string, expiresAt: number): Promise<boolean> {
    // INSERT … ON CONFLICT DO NOTHING: of two claims racing (two sockets, or two processes
    // on one database), exactly one inserts the row; the other affects none.
    const result = await this.db
      .insertInto('used_tickets')
      .values({ jti, expires_at: expiresAt })
      .onConflict((conflict) => conflict.column('jti').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** Deletes the rows of tickets that have expired; resolves how many. The table stays bounded by the tickets used within one lifetime. */
  async purgeExpired(): Promise<number> {
    const result = await this.db.deleteFrom('used_tickets').where('expires_at', '<=', this.now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
