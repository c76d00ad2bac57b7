/**
 * A bounded log of the events published on shared topics, so that a stream that
 * reconnects with `Last-Event-ID` gets what it missed (issue 13, resumption).
 *
 * Contract (test/unit/sse-resumption-log-contract.ts runs it on both implementations):
 * - `append` gives each event an id `<ms>-<seq>` (a Redis Stream id), strictly
 *   increasing per topic. With Redis the ids are assigned by Redis, so they are the
 *   same on every node and comparable across nodes; in memory (one process) they
 *   stay increasing across restarts as long as the clock does not go back.
 * - An id means something on its own topic only: Redis numbers each topic's Stream
 *   on its own, so two topics may issue the same id. A stream resumes on its one
 *   topic (a distinct stream's, fixed by its query), so that never mixes them.
 * - `since(topic, lastEventId)` returns the events after `lastEventId`, oldest first.
 *   `gap: false` means that is every event appended after it: the log still holds
 *   `lastEventId` itself, so nothing between it and the newest was dropped.
 *   `gap: true` means some may be missing (the id is older than the window, unknown,
 *   malformed, or the log restarted since): `events` are then the retained ones after
 *   it, and the client must refetch the current state.
 * - The window: a client resumes without a gap when its last event is one of the
 *   topic's last `maxEvents` events and was appended less than `maxAgeMs` ago.
 *   Outside it an event may or may not be kept (Redis trims approximately, in whole
 *   nodes), but a gap is always reported rather than an event silently lost.
 *
 * What is logged is the event as published (the subscription field's value, JSON),
 * not a group's serialized payload: a resuming stream executes its own selection
 * over each missed event. Only topics that opt in are logged (shared ones;
 * per-user values such as `user_count:<id>` opt out: the next tick replaces them).
 */

/** How much a log keeps per topic. */
export interface ResumptionWindow {
  /** Events kept per topic; a client more than this many events behind gets a gap. Default 500. */
  readonly maxEvents: number;
  /** How long an event is kept (ms); a client away longer gets a gap. Default 300,000 (5 minutes). */
  readonly maxAgeMs: number;
}

export const DEFAULT_RESUMPTION_WINDOW: ResumptionWindow = { maxEvents: 500, maxAgeMs: 300_000 };

export interface LoggedEvent {
  readonly id: string;
  /** The event as published. */
  readonly data: string;
}

export interface Resumption {
  readonly events: readonly LoggedEvent[];
  readonly gap: boolean;
}

export interface ResumptionLog {
  /** Logs `data` on `topic`; resolves its id. */
  append(topic: string, data: string): Promise<string>;
  /** The events after `lastEventId` on `topic` (see the contract above). */
  since(topic: string, lastEventId: string): Promise<Resumption>;
}

/** An event id as two integers, or undefined when `id` is not `<ms>-<seq>`. */
export function parseEventId(id: string): readonly [number, number] | undefined {
  const match = /^(\d{1,15})-(\d{1,15})$/.exec(id);
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2])];
}

/** Negative, zero or positive as `a` is before, the same as, or after `b` (both parsed ids). */
export function compareEventIds(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

/** The memory log's bounds beyond the window: it lives in the process's heap. */
export interface MemoryLogLimits extends ResumptionWindow {
  /** Topics kept; past it the least recently appended topic is dropped. Default 10,000. */
  readonly maxTopics: number;
  /**
   * Bytes of event data kept over all topics (counted as 2 per UTF-16 unit plus
   * {@link ENTRY_OVERHEAD_BYTES} per event); past it the oldest events of the least
   * recently appended topics go first. Default 64 MiB.
   */
  readonly maxBytes: number;
}

export const DEFAULT_MEMORY_LOG_LIMITS: MemoryLogLimits = { ...DEFAULT_RESUMPTION_WINDOW, maxTopics: 10_000, maxBytes: 64 * 1024 * 1024 };

/** What an event costs beyond its data, as the memory log counts it: the id string, the entry, its array slot. */
export const ENTRY_OVERHEAD_BYTES = 120;

/**
 * One logged event. Compact, since a per-user topic per socket holds one each: its id's two
 * parts as fields (not an array), and when it was appended as its distance behind the id's
 * time (0 unless the clock stepped back), so that one boxed number holds both times.
 */
class Entry {
  constructor(
    readonly id: string,
    /** The id's parts: ms, then the sequence within that ms. */
    readonly ms: number,
    readonly seq: number,
    /** `ms` minus when it was appended. */
    readonly behind: number,
    readonly data: string,
    readonly bytes: number,
  ) {}

  /** When it was appended (ms since the epoch). */
  get at(): number {
    return this.ms - this.behind;
  }

  /** Compares its id with `key` as {@link compareEventIds} does. */
  compare(key: readonly [number, number]): number {
    return this.ms !== key[0] ? this.ms - key[0] : this.seq - key[1];
  }
}

/**
 * One topic's events, oldest first, from `start` (dropping from the head is O(1); the array is
 * compacted now and then); and its place in the log's list of topics, stalest first.
 */
class TopicLog {
  start = 0;
  /** The next staler and the next fresher topic (undefined at the ends). */
  staler: TopicLog | undefined;
  fresher: TopicLog | undefined;

  constructor(
    readonly topic: string,
    // Made with its first event: an array literal of one holds one slot, where a push onto [] reserves 17.
    public entries: Entry[],
  ) {}

  get size(): number {
    return this.entries.length - this.start;
  }

  oldest(): Entry | undefined {
    return this.entries[this.start];
  }

  newest(): Entry | undefined {
    return this.entries.length > this.start ? this.entries[this.entries.length - 1] : undefined;
  }

  shift(): Entry | undefined {
    const entry = this.entries[this.start];
    if (entry === undefined) return undefined;
    this.start++;
    if (this.start > 64 && this.start * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.start);
      this.start = 0;
    }
    return entry;
  }

  /** The position of the first entry after `key`. */
  firstAfter(key: readonly [number, number]): number {
    let low = this.start;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.entries[middle] as Entry).compare(key) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/**
 * The log in this process's memory, for a single process (the embedded default, with
 * the memory bus). Trims as it goes, with no timer: a topic by count and age whenever it
 * is appended to or read, stale topics (nothing appended within the window) whenever
 * any topic is appended to, and the oldest events past `maxTopics` or `maxBytes`.
 */
export class MemoryResumptionLog implements ResumptionLog {
  readonly #limits: MemoryLogLimits;
  readonly #now: () => number;
  /** Each topic's log, by name. Never iterated: the order is the list below. */
  readonly #topics = new Map<string, TopicLog>();
  /**
   * The topics in the order they were last appended to, as a list through their logs: the
   * stalest first. (Not the Map's own order, re-inserting on append: a Map keeps deleted
   * entries as holes until it rehashes, and every drop walking from its start would step
   * over all of them; with thousands of topics appended in turn, that made each append
   * cost O(topics).)
   */
  #stalest: TopicLog | undefined;
  #freshest: TopicLog | undefined;
  #bytes = 0;
  #lastMs = 0;
  #lastSeq = -1;

  constructor(limits: Partial<MemoryLogLimits> = {}, now: () => number = Date.now) {
    this.#limits = { ...DEFAULT_MEMORY_LOG_LIMITS, ...limits };
    this.#now = now;
  }

  /** The bytes counted against `maxBytes`. */
  get bytes(): number {
    return this.#bytes;
  }

  get topicCount(): number {
    return this.#topics.size;
  }

  async append(topic: string, data: string): Promise<string> {
    const now = this.#now();
    // Increasing even if the clock steps back: the time part never decreases.
    if (now > this.#lastMs) {
      this.#lastMs = now;
      this.#lastSeq = 0;
    } else {
      this.#lastSeq++;
    }
    const id = `${this.#lastMs}-${this.#lastSeq}`;
    const entry = new Entry(id, this.#lastMs, this.#lastSeq, this.#lastMs - now, data, data.length * 2 + ENTRY_OVERHEAD_BYTES);
    let log = this.#topics.get(topic);
    if (log === undefined) {
      if (this.#topics.size >= this.#limits.maxTopics) this.#dropStalest();
      log = new TopicLog(topic, [entry]);
      this.#topics.set(topic, log);
    } else {
      this.#unlink(log);
      log.entries.push(entry);
    }
    this.#linkFreshest(log);
    this.#bytes += entry.bytes;
    this.#trim(log, now);
    while (log.size > this.#limits.maxEvents) this.#shift(log);
    this.#dropStaleTopics(now);
    while (this.#bytes > this.#limits.maxBytes && this.#topics.size > 0) this.#dropOldestEvent();
    return id;
  }

  async since(topic: string, lastEventId: string): Promise<Resumption> {
    const key = parseEventId(lastEventId);
    const log = this.#topics.get(topic);
    if (log !== undefined) this.#trim(log, this.#now());
    if (key === undefined || log === undefined || log.size === 0) return { events: [], gap: true };
    const after = log.firstAfter(key);
    const held = after > log.start && (log.entries[after - 1] as Entry).compare(key) === 0;
    const events = log.entries.slice(after).map(({ id, data }) => ({ id, data }));
    return { events, gap: !held };
  }

  /** Drops `log`'s events older than the window. */
  #trim(log: TopicLog, now: number): void {
    const cutoff = now - this.#limits.maxAgeMs;
    for (let oldest = log.oldest(); oldest !== undefined && oldest.at <= cutoff; oldest = log.oldest()) this.#shift(log);
  }

  #shift(log: TopicLog): void {
    const entry = log.shift();
    if (entry !== undefined) this.#bytes -= entry.bytes;
  }

  /** Topics whose newest event is past the window hold nothing a client could resume from. */
  #dropStaleTopics(now: number): void {
    const cutoff = now - this.#limits.maxAgeMs;
    for (let log = this.#stalest; log !== undefined; log = this.#stalest) {
      const newest = log.newest();
      if (newest !== undefined && newest.at > cutoff) return;
      this.#drop(log);
    }
  }

  #dropStalest(): void {
    if (this.#stalest !== undefined) this.#drop(this.#stalest);
  }

  #dropOldestEvent(): void {
    const log = this.#stalest;
    if (log === undefined) return;
    this.#shift(log);
    if (log.size === 0) this.#drop(log);
  }

  #drop(log: TopicLog): void {
    while (log.size > 0) this.#shift(log);
    this.#topics.delete(log.topic);
    this.#unlink(log);
  }

  #linkFreshest(log: TopicLog): void {
    log.staler = this.#freshest;
    log.fresher = undefined;
    if (this.#freshest === undefined) this.#stalest = log;
    else this.#freshest.fresher = log;
    this.#freshest = log;
  }

  #unlink(log: TopicLog): void {
    if (log.staler === undefined) this.#stalest = log.fresher;
    else log.staler.fresher = log.fresher;
    if (log.fresher === undefined) this.#freshest = log.staler;
    else log.fresher.staler = log.staler;
    log.staler = undefined;
    log.fresher = undefined;
  }
}
