/**
 * The resumption log shared by every node: one capped Redis Stream per topic
 * (`<REDIS_KEY_PREFIX>sse:log:<topic>`), the contract of resumption-log.ts.
 *
 * Why a Stream rather than a sorted set: Redis assigns a Stream entry's id
 * (`<ms>-<seq>`, strictly increasing per key even when its clock steps back), so
 * ids need no counter of ours and are the same on every node; the id carries the
 * time, so the age window is `XTRIM MINID`; `XREVRANGE … COUNT` reads the newest
 * `maxEvents` in one command; and entries are packed in listpacks (a sorted set
 * needs a unique member per event and a skiplist node and hash entry each).
 *
 * Append is one script (one round trip, atomic): XADD with `MAXLEN ~ maxEvents`, then
 * `XTRIM MINID ~ <the new id's time - maxAgeMs>`, then PEXPIRE maxAgeMs, so a topic
 * nothing is published on any more disappears once its window is over. The
 * approximate trims (`~`) drop whole listpack nodes only, so they keep at least the
 * window (never less); the reader bounds what it returns by `COUNT maxEvents`
 * itself, so the window a client sees is exact anyway.
 *
 * With `enableOfflineQueue: false` (pubsub/redis-connection.ts) both calls fail at
 * once while Redis is unreachable: the publisher then publishes nothing (the bus,
 * on the same Redis, is down too), and a resuming stream is told the gap.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_RESUMPTION_WINDOW, parseEventId, type Resumption, type ResumptionLog, type ResumptionWindow } from './resumption-log.js';

// KEYS[1]: the topic's stream. ARGV: maxEvents, maxAgeMs, data. Returns the new entry's id.
const APPEND = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'd', ARGV[3])
local cutoff = tonumber(string.match(id, '^(%d+)-')) - tonumber(ARGV[2])
if cutoff > 0 then redis.call('XTRIM', KEYS[1], 'MINID', '~', string.format('%d', cutoff)) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return id
`;

interface WithAppendScript {
  tesseraSseLogAppend(key: string, maxEvents: number, maxAgeMs: number, data: string): Promise<string>;
}

type StreamEntry = [id: string, fields: string[]];

export class RedisResumptionLog implements ResumptionLog {
  readonly #redis: Redis & WithAppendScript;
  readonly #window: ResumptionWindow;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    window: Partial<ResumptionWindow> = {},
  ) {
    // defineCommand sends EVALSHA, and the script itself the first time Redis does not know it.
    if (typeof (redis as Partial<WithAppendScript>).tesseraSseLogAppend !== 'function') {
      redis.defineCommand('tesseraSseLogAppend', { numberOfKeys: 1, lua: APPEND });
    }
    this.#redis = redis as Redis & WithAppendScript;
    this.#window = { ...DEFAULT_RESUMPTION_WINDOW, ...window };
  }

  /** The Redis key of a topic's log. */
  keyOf(topic: string): string {
    return `${this.prefix}sse:log:${topic}`;
  }

  append(topic: string, data: string): Promise<string> {
    return this.#redis.tesseraSseLogAppend(this.keyOf(topic), this.#window.maxEvents, this.#window.maxAgeMs, data);
  }

  async since(topic: string, lastEventId: string): Promise<Resumption> {
    if (parseEventId(lastEventId) === undefined) return { events: [], gap: true };
    // Newest first, down to lastEventId itself if it is among the newest maxEvents (the
    // window, as the memory log keeps it). Further back, these are all after it, and a gap.
    const newestFirst = (await this.#redis.xrevrange(this.keyOf(topic), '+', lastEventId, 'COUNT', this.#window.maxEvents)) as StreamEntry[];
    const held = newestFirst.length > 0 && newestFirst[newestFirst.length - 1]?.[0] === lastEventId;
    if (held) newestFirst.pop();
    const events = newestFirst.reverse().map(([id, fields]) => ({ id, data: fieldValue(fields, 'd') }));
    return { events, gap: !held };
  }
}

function fieldValue(fields: readonly string[], name: string): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1] as string;
  return '';
}
