/**
 * Single-connection reservations (graphql-sse's PROTOCOL.md, "Making reservations"):
 * token → { owner, state reserved | streaming, operations }. Pure: the clock and the
 * token generator are injected, and nothing here runs a timer; the adapter calls
 * {@link Reservations.expire} when {@link Reservations.nextExpiry} is due.
 *
 * Who may use a token (see protocol.ts for why the token is not a credential):
 * - a reservation made with the session cookie: only a request carrying the same
 *   session cookie (the token alone opens nothing, so `?token=` is fine);
 * - one made with a ticket (no cookie): the token is then all that identifies the
 *   client, so it is taken from the header only (a URL token is refused, 400);
 * - an anonymous one: any request (it only ever runs anonymous operations).
 * A token that is unknown, expired or not the requester's is the same 404, so a
 * guessed or leaked token tells nothing.
 *
 * Caps, with the socket's defaults: reservations per user and per address (a
 * reservation is a stream: reserved or streaming), operations per stream; a
 * reservation no stream opened within `ttlMs` is refused from then on, and dropped
 * with its operations by {@link Reservations.expire} (which returns them, so that
 * the adapter stops those operations: nothing is dropped anywhere else).
 */
import { randomBytes } from 'node:crypto';

export interface ReservationLimits {
  /** How long a reservation waits for its stream (ms). graphql-sse's client opens it right after the PUT. Default 10,000. */
  readonly ttlMs: number;
  /** Reservations (reserved or streaming) one user may hold; the socket's WS_MAX_CONNECTIONS_PER_USER default. Default 20. */
  readonly maxPerUser: number;
  /** Reservations one address may hold, signed in or not; the socket's WS_MAX_CONNECTIONS_PER_IP default. Default 1,000. */
  readonly maxPerAddress: number;
  /** Operations one stream may run at once; the socket's WS_MAX_SUBSCRIPTIONS_PER_CONNECTION default. Default 100. */
  readonly maxOperations: number;
}

export const DEFAULT_RESERVATION_LIMITS: ReservationLimits = {
  ttlMs: 10_000,
  maxPerUser: 20,
  maxPerAddress: 1_000,
  maxOperations: 100,
};

/** Who made a reservation, and with what. */
export interface ReservationOwner {
  /** How the PUT was authenticated. */
  readonly via: 'cookie' | 'ticket' | 'anonymous';
  /** The session behind it (undefined when anonymous). */
  readonly sessionId: string | undefined;
  readonly userId: string | undefined;
  /** The client's address as the per-address caps count it (an IPv6 address by its /64: the caller's rule). */
  readonly address: string;
}

/** A later request naming a token: the session its cookie carries (if any) and where the token was. */
export interface TokenRequest {
  readonly token: string;
  readonly from: 'header' | 'url';
  readonly cookieSessionId: string | undefined;
}

export interface Reservation {
  readonly token: string;
  readonly owner: ReservationOwner;
  readonly state: 'reserved' | 'streaming';
  /** When an unopened reservation is dropped (ms, the injected clock); Infinity once streaming. */
  readonly expiresAt: number;
  /** The operation ids running on it, in the order they were added. */
  readonly operations: ReadonlySet<string>;
}

export type Refused = { readonly ok: false; readonly status: 400 | 404 | 409 | 429; readonly message: string };
export type Outcome<T> = { readonly ok: true; readonly value: T } | Refused;

export const ReservationRefusal = {
  notFound: 'Stream not found',
  alreadyOpen: 'Stream already open',
  operationExists: 'Operation with ID already exists',
  tokenInUrl:
    'this stream was reserved with a ticket, so its token identifies you: send it in the X-GraphQL-Event-Stream-Token header, not in the URL',
  tooManyForUser: 'too many streams for this user',
  tooManyForAddress: 'too many streams from this address',
  tooManyOperations: 'too many operations on this stream',
} as const;

interface Entry {
  readonly token: string;
  readonly owner: ReservationOwner;
  state: 'reserved' | 'streaming';
  expiresAt: number;
  readonly operations: Set<string>;
}

const refused = (status: Refused['status'], message: string): Refused => ({ ok: false, status, message });

function addTo(index: Map<string, Set<string>>, key: string, token: string): void {
  const set = index.get(key);
  if (set === undefined) index.set(key, new Set([token]));
  else set.add(token);
}

function removeFrom(index: Map<string, Set<string>>, key: string, token: string): void {
  const set = index.get(key);
  if (set === undefined) return;
  set.delete(token);
  if (set.size === 0) index.delete(key);
}

/** 256 random bits, base64url: unguessable, and safe in a header or a URL. */
export const randomToken = (): string => randomBytes(32).toString('base64url');

export class Reservations {
  readonly #limits: ReservationLimits;
  readonly #now: () => number;
  readonly #newToken: () => string;
  readonly #byToken = new Map<string, Entry>();
  /** Reservations not yet streaming, in the order they expire (the TTL is the same for all). */
  readonly #pending = new Map<string, Entry>();
  readonly #byUser = new Map<string, Set<string>>();
  readonly #bySession = new Map<string, Set<string>>();
  readonly #byAddress = new Map<string, Set<string>>();

  constructor(limits: Partial<ReservationLimits> = {}, now: () => number = Date.now, newToken: () => string = randomToken) {
    this.#limits = { ...DEFAULT_RESERVATION_LIMITS, ...limits };
    this.#now = now;
    this.#newToken = newToken;
  }

  get size(): number {
    return this.#byToken.size;
  }

  /** PUT: a new reservation for `owner`, or 429 past a cap. */
  reserve(owner: ReservationOwner): Outcome<Reservation> {
    if (owner.userId !== undefined && (this.#byUser.get(owner.userId)?.size ?? 0) >= this.#limits.maxPerUser) {
      return refused(429, ReservationRefusal.tooManyForUser);
    }
    if ((this.#byAddress.get(owner.address)?.size ?? 0) >= this.#limits.maxPerAddress) {
      return refused(429, ReservationRefusal.tooManyForAddress);
    }
    let token = this.#newToken();
    while (this.#byToken.has(token)) token = this.#newToken();
    const entry: Entry = { token, owner, state: 'reserved', expiresAt: this.#now() + this.#limits.ttlMs, operations: new Set() };
    this.#byToken.set(token, entry);
    this.#pending.set(token, entry);
    if (owner.userId !== undefined) addTo(this.#byUser, owner.userId, token);
    if (owner.sessionId !== undefined) addTo(this.#bySession, owner.sessionId, token);
    addTo(this.#byAddress, owner.address, token);
    return { ok: true, value: entry };
  }

  /** The reservation `request` names, if the requester may use it (see the file comment). */
  find(request: TokenRequest): Outcome<Reservation> {
    const entry = this.#entry(request);
    return 'ok' in entry ? entry : { ok: true, value: entry };
  }

  /** Opening the stream: reserved → streaming; 409 when a stream is already open (one stream per reservation). */
  attach(request: TokenRequest): Outcome<Reservation> {
    const entry = this.#entry(request);
    if ('ok' in entry) return entry;
    if (entry.state === 'streaming') return refused(409, ReservationRefusal.alreadyOpen);
    entry.state = 'streaming';
    entry.expiresAt = Infinity;
    this.#pending.delete(entry.token);
    return { ok: true, value: entry };
  }

  /** POST an operation: 409 for an id already running, 429 past the per-stream cap. Allowed before the stream opens, as PROTOCOL.md allows. */
  addOperation(request: TokenRequest, operationId: string): Outcome<Reservation> {
    const entry = this.#entry(request);
    if ('ok' in entry) return entry;
    if (entry.operations.has(operationId)) return refused(409, ReservationRefusal.operationExists);
    if (entry.operations.size >= this.#limits.maxOperations) return refused(429, ReservationRefusal.tooManyOperations);
    entry.operations.add(operationId);
    return { ok: true, value: entry };
  }

  /**
   * DELETE `?operationId=`: stops it. `value` says whether it was running; an unknown
   * id is still 200, as graphql-sse's handler answers (the operation may have just completed).
   */
  stopOperation(request: TokenRequest, operationId: string): Outcome<boolean> {
    const entry = this.#entry(request);
    if ('ok' in entry) return entry;
    return { ok: true, value: entry.operations.delete(operationId) };
  }

  /** The server completed an operation (a query's one result, a subscription's end): it leaves the stream. */
  completeOperation(token: string, operationId: string): boolean {
    return this.#byToken.get(token)?.operations.delete(operationId) ?? false;
  }

  /** The stream closed (client gone, or the server ended it): the reservation ends with it, and its operations (returned) must stop. */
  release(token: string): Reservation | undefined {
    const entry = this.#byToken.get(token);
    if (entry === undefined) return undefined;
    this.#drop(entry);
    return entry;
  }

  /** Revocation: removes and returns every reservation of the session (their streams get the final events). */
  releaseSession(sessionId: string): Reservation[] {
    return [...(this.#bySession.get(sessionId) ?? [])].map((token) => this.release(token)).filter((r) => r !== undefined);
  }

  /** Removes and returns every reservation of the user (user deleted, logout everywhere). */
  releaseUser(userId: string): Reservation[] {
    return [...(this.#byUser.get(userId) ?? [])].map((token) => this.release(token)).filter((r) => r !== undefined);
  }

  /** Drops the reservations no stream opened in time, and returns them (their operations must stop). */
  expire(): Reservation[] {
    const now = this.#now();
    const expired: Reservation[] = [];
    for (const entry of this.#pending.values()) {
      if (entry.expiresAt > now) break;
      expired.push(entry);
      this.#drop(entry);
    }
    return expired;
  }

  /** When the next unopened reservation expires (the adapter's one timer), or undefined when none waits. */
  nextExpiry(): number | undefined {
    for (const entry of this.#pending.values()) return entry.expiresAt;
    return undefined;
  }

  #entry(request: TokenRequest): Entry | Refused {
    const entry = this.#byToken.get(request.token);
    if (entry === undefined) return refused(404, ReservationRefusal.notFound);
    // Past its time but not yet swept: already gone for clients; expire() drops it and hands
    // it (with any operations posted to it) to the adapter, the one place that happens.
    if (entry.state === 'reserved' && entry.expiresAt <= this.#now()) return refused(404, ReservationRefusal.notFound);
    const owner = entry.owner;
    if (owner.via === 'cookie' && request.cookieSessionId !== owner.sessionId) return refused(404, ReservationRefusal.notFound);
    if (owner.via === 'ticket' && request.from === 'url') return refused(400, ReservationRefusal.tokenInUrl);
    return entry;
  }

  #drop(entry: Entry): void {
    this.#byToken.delete(entry.token);
    this.#pending.delete(entry.token);
    if (entry.owner.userId !== undefined) removeFrom(this.#byUser, entry.owner.userId, entry.token);
    if (entry.owner.sessionId !== undefined) removeFrom(this.#bySession, entry.owner.sessionId, entry.token);
    removeFrom(this.#byAddress, entry.owner.address, entry.token);
  }
}
