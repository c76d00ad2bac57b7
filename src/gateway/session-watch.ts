/**
 * Closes sockets whose session ends: at once when a revocation arrives on the
 * bus (logout, logout-all, password change, on any node), and at expiry,
 * found with one heap and one timer for all sessions rather than a timer per socket.
 */
import { sessionExpiresAt, type Sessions } from '../accounts/sessions.js';
import type { Connection } from './connection.js';
import { CloseCode, CloseReason } from './protocol/close-codes.js';
import { DeadlineHeap } from './timers/deadline-heap.js';
import { SingleTimer } from './timers/single-timer.js';

interface Watched {
  // An array, not a Set: a session nearly always has one socket, and a Set costs
  // several times an array's memory for that (this is per authenticated socket).
  readonly connections: Connection[];
  expiresAt: number;
}

export class SessionWatch {
  readonly #bySession = new Map<string, Watched>();
  #heap = new DeadlineHeap<string>();
  readonly #timer = new SingleTimer(() => void this.#expireDue());

  constructor(
    private readonly sessions: Sessions,
    private readonly log: { warn(object: object, message: string): void },
  ) {}

  add(connection: Connection): void {
    const auth = connection.auth;
    if (auth === undefined) return;
    const id = auth.session.id;
    let watched = this.#bySession.get(id);
    if (watched === undefined) {
      watched = { connections: [], expiresAt: sessionExpiresAt(auth.session) };
      this.#bySession.set(id, watched);
      this.#schedule(id, watched.expiresAt);
    }
    if (!watched.connections.includes(connection)) watched.connections.push(connection);
  }

  remove(connection: Connection): void {
    const id = connection.auth?.session.id;
    if (id === undefined) return;
    const watched = this.#bySession.get(id);
    if (watched === undefined) return;
    const index = watched.connections.indexOf(connection);
    if (index !== -1) watched.connections.splice(index, 1);
    // The heap entry stays; it is skipped when it comes due (lazy deletion),
    // and the heap is rebuilt when such entries outnumber the live ones.
    if (watched.connections.length === 0) this.#bySession.delete(id);
    if (this.#heap.size > 1000 + 2 * this.#bySession.size) this.#rebuild();
  }

  #rebuild(): void {
    this.#heap = new DeadlineHeap<string>();
    for (const [id, watched] of this.#bySession) this.#heap.push(watched.expiresAt, id);
  }

  /** Closes every socket of these sessions with 4401 (final for clients) and the reason. */
  revoke(sessionIds: readonly string[], reason: string): void {
    for (const id of sessionIds) {
      const watched = this.#bySession.get(id);
      if (watched === undefined) continue;
      this.#bySession.delete(id);
      for (const connection of [...watched.connections]) connection.close(CloseCode.Unauthorized, reason);
    }
  }

  get sessionCount(): number {
    return this.#bySession.size;
  }

  stop(): void {
    this.#timer.cancel();
  }

  #schedule(id: string, at: number): void {
    this.#heap.push(at, id);
    this.#timer.armFor(at);
  }

  async #expireDue(): Promise<void> {
    const now = Date.now();
    for (const id of this.#heap.popDue(now)) {
      const watched = this.#bySession.get(id);
      if (watched === undefined || watched.expiresAt > now) continue; // gone, or rescheduled later
      // The idle expiry may have slid through HTTP use since the socket opened: ask the store.
      try {
        const check = await this.sessions.check(id);
        if (check.status === 'live') {
          watched.expiresAt = sessionExpiresAt(check.auth.session);
          this.#schedule(id, watched.expiresAt);
        } else {
          this.revoke([id], check.status === 'expired' ? CloseReason.sessionExpired : CloseReason.sessionEnded);
        }
      } catch (error) {
        // Store unreachable: keep the sockets and look again shortly.
        this.log.warn({ err: error }, 'could not check an expiring session; retrying');
        watched.expiresAt = now + 5000;
        this.#schedule(id, watched.expiresAt);
      }
    }
    const next = this.#heap.peek();
    if (next !== undefined) this.#timer.armFor(next.at);
  }
}
