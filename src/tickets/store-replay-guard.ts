/**
 * Single use of tickets remembered in the store, for several gateway processes
 * that share a database but no Redis (one process needs no store write per
 * connect: `MemoryReplayGuard` refuses the tickets signed before it started, and
 * the embedded default uses it). One row per used ticket id,
 * inserted if absent in one atomic statement, kept until the ticket's own
 * expiry (after which the ticket is refused as expired anyway) and purged then
 * by `purgeExpired()`, which its owner calls every so often (at least once per
 * ticket lifetime keeps the table at about two lifetimes of tickets).
 *
 * The claims made in one event-loop turn (a burst of sockets sending their
 * `connection_init`) go in one multi-row `INSERT … ON CONFLICT DO NOTHING
 * RETURNING jti` per batch (see store/same-turn-batch.ts): on SQLite that is one
 * commit for the batch instead of one per socket. The claims answered true are
 * exactly the rows the statement inserted; a jti named twice in one batch is
 * inserted once and its later claims are refused.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/tables.js';
import { powerOfTwoChunks, SameTurnBatch } from '../store/same-turn-batch.js';
import { runCompiled } from '../store/run-compiled.js';
import type { ReplayGuard } from './replay-guard.js';

/** The most claims one statement carries (two parameters each). */
export const MAX_CLAIMS_PER_STATEMENT = 64;

interface Claim {
  readonly jti: string;
  readonly expiresAt: number;
}

export class StoreReplayGuard implements ReplayGuard {
  // The statement's SQL text for each batch size (powers of two), compiled once.
  readonly #sqlBySize = new Map<number, string>();
  readonly #batch = new SameTurnBatch<Claim, boolean>((claims) => this.#claimAll(claims), MAX_CLAIMS_PER_STATEMENT);

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
  ) {}

  claim(jti: string, expiresAt: number): Promise<boolean> {
    return this.#batch.add({ jti, expiresAt });
  }

  async #claimAll(claims: readonly Claim[]): Promise<boolean[]> {
    if (claims.length === 1) {
      // The common case (one socket's init in its turn): no de-duplication to do.
      const [claim] = claims as [Claim];
      const result = await runCompiled<{ jti: string }, Database>(this.db, this.#sql(1), [claim.jti, claim.expiresAt]);
      return [result.rows.length === 1];
    }
    // Of two claims of one jti in this batch only the first may win.
    const distinct: Claim[] = [];
    const seen = new Set<string>();
    for (const claim of claims) {
      if (seen.has(claim.jti)) continue;
      seen.add(claim.jti);
      distinct.push(claim);
    }
    const inserted = new Set<string>();
    let start = 0;
    for (const size of powerOfTwoChunks(distinct.length)) {
      const chunk = distinct.slice(start, start + size);
      start += size;
      const parameters: unknown[] = [];
      for (const claim of chunk) parameters.push(claim.jti, claim.expiresAt);
      const result = await runCompiled<{ jti: string }, Database>(this.db, this.#sql(size), parameters);
      for (const row of result.rows) inserted.add(row.jti);
    }
    const answered = new Set<string>();
    return claims.map((claim) => {
      if (answered.has(claim.jti)) return false;
      answered.add(claim.jti);
      return inserted.has(claim.jti);
    });
  }

  /** `INSERT … ON CONFLICT (jti) DO NOTHING RETURNING jti` for `size` rows, parameters (jti, expires_at) per row. */
  #sql(size: number): string {
    let text = this.#sqlBySize.get(size);
    if (text === undefined) {
      const rows = Array.from({ length: size }, (_, k) => ({ jti: `j${k}`, expires_at: k }));
      const compiled = this.db
        .insertInto('used_tickets')
        .values(rows)
        .onConflict((conflict) => conflict.column('jti').doNothing())
        .returning('jti')
        .compile();
      const expected = rows.flatMap((row) => [row.jti, row.expires_at]);
      if (compiled.parameters.length !== expected.length || compiled.parameters.some((value, k) => value !== expected[k])) {
        throw new Error('StoreReplayGuard: unexpected parameter order in the compiled claim statement');
      }
      text = compiled.sql;
      this.#sqlBySize.set(size, text);
    }
    return text;
  }

  /** Deletes the rows of tickets that have expired; resolves how many. The table stays bounded by the tickets used within one lifetime. */
  async purgeExpired(): Promise<number> {
    const result = await this.db.deleteFrom('used_tickets').where('expires_at', '<=', this.now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
