/** The memory resumption log: the shared contract with a fake clock, and its own bounds (topics, bytes, a clock that steps back). */
import assert from 'node:assert/strict';
import { describe, it } from '../helpers/suite.js';
import { resumptionLogContract } from '../helpers/resumption-log-contract.js';
import { DEFAULT_MEMORY_LOG_LIMITS, DEFAULT_RESUMPTION_WINDOW, ENTRY_OVERHEAD_BYTES, MemoryResumptionLog } from '../../src/sse/resumption-log.js';

function clocked(limits: ConstructorParameters<typeof MemoryResumptionLog>[0] = {}) {
  let now = 1_733_100_000_000;
  const log = new MemoryResumptionLog(limits, () => now);
  return { log, set: (ms: number) => (now = ms), advance: async (ms: number) => void (now += ms) };
}

describe('MemoryResumptionLog: the resumption-log contract', () => {
  resumptionLogContract(async (window) => clocked(window));
});

describe('MemoryResumptionLog: its own bounds', () => {
  it('documented defaults', () => {
    assert.deepEqual(DEFAULT_RESUMPTION_WINDOW, { maxEvents: 500, maxAgeMs: 300_000 });
    assert.deepEqual(DEFAULT_MEMORY_LOG_LIMITS, { maxEvents: 500, maxAgeMs: 300_000, maxTopics: 10_000, maxBytes: 64 * 1024 * 1024 });
  });

  it('ids are unique across topics too (one sequence for the log), so an id of another topic is a gap', async () => {
    const { log } = clocked();
    const a = await log.append('topic-a', 'a');
    const b = await log.append('topic-b', 'b');
    assert.notEqual(a, b);
    assert.deepEqual(await log.since('topic-b', a), { events: [{ id: b, data: 'b' }], gap: true });
  });

  it('ids keep increasing when the clock steps back', async () => {
    const { log, set } = clocked();
    set(5_000);
    const a = await log.append('t', 'a');
    set(4_000);
    const b = await log.append('t', 'b');
    const c = await log.append('t', 'c');
    assert.deepEqual([a, b, c], ['5000-0', '5000-1', '5000-2']);
    set(6_000);
    assert.equal(await log.append('t', 'd'), '6000-0');
    assert.deepEqual((await log.since('t', a)).events.map((e) => e.data), ['b', 'c', 'd']);
  });

  it('past maxTopics the least recently appended topic goes (its clients get a gap)', async () => {
    const { log } = clocked({ maxTopics: 2 });
    const a = await log.append('a', '1');
    const b = await log.append('b', '1');
    await log.append('a', '2'); // a is now the most recent
    await log.append('c', '1'); // b goes
    assert.equal(log.topicCount, 2);
    assert.deepEqual(await log.since('b', b), { events: [], gap: true });
    assert.equal((await log.since('a', a)).gap, false);
  });

  it('the stalest-first order holds through re-appends in the middle and at either end, over many topics cycling through maxTopics', async () => {
    const { log } = clocked({ maxTopics: 3 });
    const first = new Map<string, string>();
    const append = async (topic: string) => {
      const id = await log.append(topic, topic);
      if (!first.has(topic)) first.set(topic, id);
    };
    await append('a');
    await append('b');
    await append('c'); // order: a b c
    await append('b'); // middle to freshest: a c b
    await append('a'); // stalest to freshest: c b a
    await append('a'); // freshest again: c b a
    await append('d'); // c goes: b a d
    assert.equal(log.topicCount, 3);
    assert.equal((await log.since('c', first.get('c') as string)).gap, true);
    for (const kept of ['b', 'a', 'd']) assert.equal((await log.since(kept, first.get(kept) as string)).gap, false, kept);
    await append('e'); // b goes: a d e
    assert.equal((await log.since('b', first.get('b') as string)).gap, true);
    assert.equal((await log.since('a', first.get('a') as string)).gap, false);
    // Thousands of topics through a small log, in turn (the per-user pattern): only the last three stay.
    for (let round = 0; round < 3; round++) for (let i = 0; i < 2_000; i++) await log.append(`user:${i}`, String(round));
    assert.equal(log.topicCount, 3);
    for (const kept of ['user:1997', 'user:1998', 'user:1999']) assert.equal((await log.since(kept, '0-0')).events.length, 1, kept);
    assert.deepEqual(await log.since('user:1996', '0-0'), { events: [], gap: true });
  });

  it('past maxBytes the oldest events of the stalest topics go first, and the count goes down with them', async () => {
    const item = 'x'.repeat(100);
    const cost = item.length * 2 + ENTRY_OVERHEAD_BYTES;
    const { log } = clocked({ maxBytes: cost * 3 });
    const [s1] = [await log.append('stale', item), await log.append('stale', item)];
    const fresh = await log.append('fresh', item);
    assert.equal(log.bytes, cost * 3);
    await log.append('fresh', item); // one too many: stale's oldest goes
    assert.equal(log.bytes, cost * 3);
    assert.equal((await log.since('stale', s1 as string)).gap, true);
    assert.equal((await log.since('fresh', fresh)).gap, false);
    await log.append('fresh', item);
    await log.append('fresh', item);
    assert.equal(log.topicCount, 1, 'an emptied topic is dropped');
    assert.ok(log.bytes <= cost * 3);
  });

  it('a topic nothing was appended to within the window is dropped when another is appended to', async () => {
    const { log, advance } = clocked({ maxAgeMs: 1_000 });
    await log.append('quiet', 'q');
    await advance(1_001);
    await log.append('busy', 'b');
    assert.equal(log.topicCount, 1);
    assert.equal(log.bytes, 2 + ENTRY_OVERHEAD_BYTES);
  });

  it('a long run through a small window stays correct as the head is dropped and compacted', async () => {
    const { log } = clocked({ maxEvents: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 1_000; i++) ids.push(await log.append('t', String(i)));
    assert.deepEqual(await log.since('t', ids[997] as string), {
      events: [998, 999].map((n) => ({ id: ids[n], data: String(n) })),
      gap: false,
    });
    assert.deepEqual(await log.since('t', ids[996] as string), {
      events: [997, 998, 999].map((n) => ({ id: ids[n], data: String(n) })),
      gap: true,
    });
    assert.equal(log.bytes, 3 * (3 * 2 + ENTRY_OVERHEAD_BYTES));
  });
});
