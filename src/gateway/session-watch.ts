/**
 * Closes sockets whose session ends: at once when a revocation arrives (logout,
 * logout-all, password change, on any node), at expiry (one heap and one timer
 * for all sessions rather than a timer per socket), and, because the bus is
 * at-most-once (a publish can fail, a node can miss it while reconnecting), by
 * re-checking every session it holds against the store every SESSION_RECHECK_SECONDS
 * and after the bus reconnects. Revocation is therefore at-least-once: a socket
 * whose session ended closes at the latest one re-check period (plus the time of
 * that re-check) after this node can see the store.
 */
import type { GatewaySession, SessionSource, SessionStatus } from '../sessions/session-source.js';
import type { Connection } from './connection.js';
import { CloseCode, CloseReason } from './protocol/close-codes.js';
import { DeadlineHeap } from './timers/deadline-heap.js';
import { SingleTimer } from './timers/single-timer.js';

/**
 * A session with more than one socket, or whose expiry moved since it was watched. A
 * session nearly always has one socket: it is then held as that connection itself
 * (its expiry is its session's), with no record, array or number of its own.
 */
class Watched {
  constructor(
    // An array, not a Set: a Set costs several times an array's memory for a few sockets.
    readonly connections: Connection[],
    public expiresAt: number,
  ) {}
}

/** What the watch holds for a session: its one connection, or a {@link Watched}. */
type Entry = Connection | Watched;

function expiresAtOf(entry: Entry): number {
  return entry instanceof Watched ? entry.expiresAt : (entry.session as GatewaySession).expiresAt;
}

interface Tombstone {
  readonly at: number;
  readonly reason: string;
}

export interface SessionWatchOptions {
  /** How often every watched session is re-checked in the store, in ms (SESSION_RECHECK_SECONDS). */
  readonly recheckMs?: number;
  /** Session ids per re-check query (the store's `WHERE id IN (…)`). */
  readonly batchSize?: number;
  /** How long a revocation is remembered for sockets still being admitted, in ms. */
  readonly tombstoneMs?: number;
  /** At most this many revocations remembered; the oldest go first. */
  readonly maxTombstones?: number;
}

export const DEFAULT_RECHECK_MS = 30_000;
/** Session ids per `checkMany` call by default (Tessera's store answers 500 in one `WHERE id IN (…)`). */
export const DEFAULT_RECHECK_BATCH = 500;
const DEFAULT_TOMBSTONE_MS = 10_000;
const DEFAULT_MAX_TOMBSTONES = 10_000;

/** The close reason for a session the store no longer holds as live. */
export function closeReasonFor(status: Exclude<SessionStatus, 'live'>): string {
  switch (status) {
    case 'expired':
      return CloseReason.sessionExpired;
    case 'user-gone':
      return CloseReason.userGone;
    case 'ended':
      return CloseReason.sessionEnded;
  }
}

/** Lets timers and I/O run between two batches, even when the store answers synchronously (SQLite). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SessionWatch {
  readonly #bySession = new Map<string, Entry>();
  #heap = new DeadlineHeap<string>();
  readonly #timer = new SingleTimer(() => void this.#expireDue());
  readonly #recheckMs: number;
  readonly #batchSize: number;
  readonly #tombstoneMs: number;
  readonly #maxTombstones: number;
  // Revocations remembered for a while, in the order they came (a Map keeps insertion
  // order), so that the oldest are found first when pruning.
  readonly #tombstones = new Map<string, Tombstone>();
  // When the newest tombstone dropped for room (not for age) had come: an admission whose
  // check began before that cannot trust the tombstones and asks the store instead.
  #evictedAt = -Infinity;
  #recheckTimer: NodeJS.Timeout | undefined;
  #recheckRunning: Promise<void> | undefined;
  #recheckQueued: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly sessions: Pick<SessionSource, 'check' | 'checkMany'>,
    private readonly log: { warn(object: object, message: string): void },
    options: SessionWatchOptions = {},
  ) {
    this.#recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
    this.#batchSize = Math.max(1, options.batchSize ?? DEFAULT_RECHECK_BATCH);
    this.#tombstoneMs = options.tombstoneMs ?? DEFAULT_TOMBSTONE_MS;
    this.#maxTombstones = options.maxTombstones ?? DEFAULT_MAX_TOMBSTONES;
    this.#armRecheck(Date.now() + this.#recheckMs);
  }

  /**
   * Watches an authenticated connection whose session the store said was live.
   *
   * The race this closes: the socket's session is checked in the store (connection_init),
   * then, some milliseconds later, the socket is added here. A revocation handled in
   * between finds no socket to close. So every revocation leaves a tombstone for
   * `tombstoneMs`, and a socket admitted for a tombstoned session is closed at once.
   * Session ids are never reused, so a tombstone is never wrong. A tombstone is only
   * missing if the admission took longer than `tombstoneMs` since `checkedSince` or
   * tombstones were dropped for room meanwhile; then the session is asked for again.
   * (Re-checking every admission instead would cost a second query per socket.)
   *
   * @param checkedSince when the session check behind this admission began (ms since
   *   the epoch); by default now, for a check done synchronously just before.
   * @returns false when the connection was closed instead (its session was revoked).
   */
  add(connection: Connection, checkedSince = Date.now()): boolean {
    const session = connection.session;
    if (session === undefined) return true;
    const id = session.id;
    const now = Date.now();
    this.#pruneTombstones(now);
    const tombstone = this.#tombstones.get(id);
    if (tombstone !== undefined) {
      connection.close(CloseCode.Unauthorized, tombstone.reason);
      return false;
    }
    const entry = this.#bySession.get(id);
    if (entry === undefined) {
      this.#bySession.set(id, connection);
      this.#schedule(id, session.expiresAt);
    } else if (entry instanceof Watched) {
      if (!entry.connections.includes(connection)) entry.connections.push(connection);
    } else if (entry !== connection) {
      this.#bySession.set(id, new Watched([entry, connection], expiresAtOf(entry)));
    }
    if (now - checkedSince >= this.#tombstoneMs || this.#evictedAt >= checkedSince) void this.#checkOne(id);
    return true;
  }

  remove(connection: Connection): void {
    const id = connection.session?.id;
    if (id === undefined) return;
    const entry = this.#bySession.get(id);
    if (entry === undefined) return;
    // The heap entry stays; it is skipped when it comes due (lazy deletion),
    // and the heap is rebuilt when such entries outnumber the live ones.
    if (entry instanceof Watched) {
      const index = entry.connections.indexOf(connection);
      if (index !== -1) entry.connections.splice(index, 1);
      if (entry.connections.length === 0) this.#bySession.delete(id);
    } else if (entry === connection) {
      this.#bySession.delete(id);
    }
    if (this.#heap.size > 1000 + 2 * this.#bySession.size) this.#rebuild();
  }

  #rebuild(): void {
    this.#heap = new DeadlineHeap<string>();
    for (const [id, entry] of this.#bySession) {
      const at = expiresAtOf(entry);
      if (Number.isFinite(at)) this.#heap.push(at, id);
    }
  }

  /** Closes every socket of these sessions with 4401 (final for clients) and the reason, and remembers them for sockets being admitted. */
  revoke(sessionIds: readonly string[], reason: string): void {
    const now = Date.now();
    for (const id of sessionIds) {
      this.#bury(id, reason, now);
      const entry = this.#bySession.get(id);
      if (entry === undefined) continue;
      this.#bySession.delete(id);
      if (entry instanceof Watched) for (const connection of [...entry.connections]) connection.close(CloseCode.Unauthorized, reason);
      else entry.close(CloseCode.Unauthorized, reason);
    }
  }

  get sessionCount(): number {
    return this.#bySession.size;
  }

  get tombstoneCount(): number {
    return this.#tombstones.size;
  }

  /**
   * Re-checks every watched session in the store now (after the bus reconnected,
   * revocations may have been missed). Resolves when a re-check begun after this
   * call has finished; a call during a running re-check queues one more.
   */
  recheckAll(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const running = this.#recheckRunning;
    if (running === undefined) return this.#startRecheck();
    this.#recheckQueued ??= running.then(() => {
      this.#recheckQueued = undefined;
      return this.#startRecheck();
    });
    return this.#recheckQueued;
  }

  stop(): void {
    this.#stopped = true;
    this.#timer.cancel();
    if (this.#recheckTimer !== undefined) clearTimeout(this.#recheckTimer);
    this.#recheckTimer = undefined;
  }

  #bury(id: string, reason: string, now: number): void {
    this.#tombstones.delete(id); // re-inserted last: the Map stays in arrival order
    this.#tombstones.set(id, { at: now, reason });
    this.#pruneTombstones(now);
    while (this.#tombstones.size > this.#maxTombstones) {
      const [oldest, tombstone] = this.#tombstones.entries().next().value as [string, Tombstone];
      this.#tombstones.delete(oldest);
      this.#evictedAt = Math.max(this.#evictedAt, tombstone.at);
    }
  }

  #pruneTombstones(now: number): void {
    for (const [id, tombstone] of this.#tombstones) {
      if (now - tombstone.at < this.#tombstoneMs) return;
      this.#tombstones.delete(id);
    }
  }

  #armRecheck(at: number): void {
    if (this.#stopped) return;
    if (this.#recheckTimer !== undefined) clearTimeout(this.#recheckTimer);
    this.#recheckTimer = setTimeout(() => {
      this.#recheckTimer = undefined;
      void this.recheckAll();
    }, Math.max(0, at - Date.now()));
    this.#recheckTimer.unref();
  }

  #startRecheck(): Promise<void> {
    if (this.#recheckTimer !== undefined) clearTimeout(this.#recheckTimer);
    this.#recheckTimer = undefined;
    const started = Date.now();
    const run = this.#recheck().finally(() => {
      this.#recheckRunning = undefined;
      // Start to start: a lost revocation waits at most one period plus one re-check.
      if (this.#recheckQueued === undefined) this.#armRecheck(started + this.#recheckMs);
    });
    this.#recheckRunning = run;
    return run;
  }

  /**
   * One pass over the sessions watched when it starts: one query per `batchSize` ids,
   * one batch at a time (the store's pool is shared with HTTP), yielding to the event
   * loop between batches so that a large node never holds it for long.
   */
  async #recheck(): Promise<void> {
    const ids = [...this.#bySession.keys()];
    for (let start = 0; start < ids.length; start += this.#batchSize) {
      if (start > 0) await yieldToEventLoop();
      if (this.#stopped) return;
      // Sessions whose sockets all left meanwhile need no query.
      const batch = ids.slice(start, start + this.#batchSize).filter((id) => this.#bySession.has(id));
      if (batch.length === 0) continue;
      let statuses: ReadonlyMap<string, SessionStatus>;
      try {
        statuses = await this.#checkMany(batch);
      } catch (error) {
        // Store unreachable: keep the sockets; the next re-check (or the expiry check) asks again.
        this.log.warn({ err: error, sessions: ids.length }, 'could not re-check the watched sessions; retrying at the next re-check');
        return;
      }
      // An id missing from the answer counts as ended (SessionSource.checkMany).
      for (const id of batch) {
        const status = statuses.get(id) ?? 'ended';
        if (status !== 'live') this.revoke([id], closeReasonFor(status));
      }
    }
  }

  /** The source's batch check, or one `check` per id (in parallel) for a source without one. */
  async #checkMany(ids: readonly string[]): Promise<ReadonlyMap<string, SessionStatus>> {
    if (this.sessions.checkMany !== undefined) return this.sessions.checkMany(ids);
    const checks = await Promise.all(ids.map((id) => this.sessions.check(id)));
    return new Map(ids.map((id, i) => [id, (checks[i] as { status: SessionStatus }).status]));
  }

  async #checkOne(id: string): Promise<void> {
    try {
      const check = await this.sessions.check(id);
      if (check.status !== 'live') this.revoke([id], closeReasonFor(check.status));
    } catch (error) {
      this.log.warn({ err: error }, 'could not re-check a session after admitting its socket; the periodic re-check will');
    }
  }

  #schedule(id: string, at: number): void {
    if (!Number.isFinite(at)) return; // a session that never expires: the re-check and revocations still apply
    this.#heap.push(at, id);
    this.#timer.armFor(at);
  }

  /** The session's sockets now expire at `at` (a lone connection gets its record for that); nothing if it is no longer watched. */
  #reschedule(id: string, at: number): void {
    const entry = this.#bySession.get(id);
    if (entry === undefined) return;
    if (entry instanceof Watched) entry.expiresAt = at;
    else this.#bySession.set(id, new Watched([entry], at));
    this.#schedule(id, at);
  }

  async #expireDue(): Promise<void> {
    const now = Date.now();
    for (const id of this.#heap.popDue(now)) {
      const entry = this.#bySession.get(id);
      if (entry === undefined || expiresAtOf(entry) > now) continue; // gone, or rescheduled later
      // The idle expiry may have slid through HTTP use since the socket opened: ask the store.
      try {
        const check = await this.sessions.check(id);
        if (check.status === 'live') this.#reschedule(id, check.session.expiresAt);
        else this.revoke([id], closeReasonFor(check.status));
      } catch (error) {
        // Store unreachable: keep the sockets and look again shortly.
        this.log.warn({ err: error }, 'could not check an expiring session; retrying');
        this.#reschedule(id, now + 5000);
      }
    }
    const next = this.#heap.peek();
    if (next !== undefined) this.#timer.armFor(next.at);
  }
}
