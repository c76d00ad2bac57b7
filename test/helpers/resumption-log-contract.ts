/**
 * The ResumptionLog contract (src/sse/resumption-log.ts), run against each
 * implementation: the memory log with a fake clock, the Redis log on a real
 * Redis with real time. Registers its tests in the caller's suite.
 */
import assert from 'node:assert/strict';
import { it } from './suite.js';
import { compareEventIds, parseEventId, type ResumptionLog, type ResumptionWindow } from '../../src/sse/resumption-log.js';

export interface LogUnderTest {
  readonly log: ResumptionLog;
  /** Lets `ms` pass for the log (a fake clock, or a real wait). */
  advance(ms: number): Promise<void>;
}

export type LogFactory = (window: ResumptionWindow) => Promise<LogUnderTest>;

const LONG = 60 * 60_000;

async function appendAll(log: ResumptionLog, topic: string, data: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const item of data) ids.push(await log.append(topic, item));
  return ids;
}

export function resumptionLogContract(make: LogFactory): void {
  it('ids are <ms>-<seq>, strictly increasing per topic, with topics interleaved', async () => {
    const { log } = await make({ maxEvents: 100, maxAgeMs: LONG });
    const a: string[] = [];
    const b: string[] = [];
    for (let i = 0; i < 30; i++) {
      a.push(await log.append('topic-a', `a${i}`));
      b.push(await log.append('topic-b', `b${i}`));
    }
    for (const ids of [a, b]) {
      for (let i = 1; i < ids.length; i++) {
        const previous = parseEventId(ids[i - 1] as string);
        const current = parseEventId(ids[i] as string);
        assert.ok(previous !== undefined && current !== undefined, `${ids[i]} is <ms>-<seq>`);
        assert.ok(compareEventIds(current, previous) > 0, `${ids[i]} after ${ids[i - 1]}`);
      }
    }
  });

  it('since an id: every later event, in order, data intact; since the newest: nothing, no gap', async () => {
    const { log } = await make({ maxEvents: 100, maxAgeMs: LONG });
    const data = ['{"n":1}', 'héllo ✓ \u2028', 'x'.repeat(100_000), '{"n":4}'];
    const ids = await appendAll(log, 'topic', data);
    assert.deepEqual(await log.since('topic', ids[0] as string), {
      events: data.slice(1).map((item, i) => ({ id: ids[i + 1], data: item })),
      gap: false,
    });
    assert.deepEqual(await log.since('topic', ids[2] as string), { events: [{ id: ids[3], data: data[3] }], gap: false });
    assert.deepEqual(await log.since('topic', ids[3] as string), { events: [], gap: false });
  });

  it('the count window: a client among the last maxEvents resumes; one further back gets the newest and a gap', async () => {
    const { log } = await make({ maxEvents: 5, maxAgeMs: LONG });
    const ids = await appendAll(log, 'topic', ['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
    const after3 = await log.since('topic', ids[3] as string);
    assert.deepEqual(after3, { events: ['e4', 'e5', 'e6', 'e7'].map((d, i) => ({ id: ids[4 + i], data: d })), gap: false });
    const after2 = await log.since('topic', ids[2] as string);
    assert.equal(after2.gap, true);
    assert.deepEqual(after2.events.map((e) => e.data), ['e3', 'e4', 'e5', 'e6', 'e7']);
    const after0 = await log.since('topic', ids[0] as string);
    assert.equal(after0.gap, true);
    assert.deepEqual(after0.events.map((e) => e.data), ['e3', 'e4', 'e5', 'e6', 'e7'], 'never more than the window');
  });

  it('the age window: after maxAgeMs with nothing appended, an old id is a gap; what came after is still given', async () => {
    const { log, advance } = await make({ maxEvents: 100, maxAgeMs: 400 });
    const first = await log.append('aging', 'old');
    await advance(1_200);
    assert.deepEqual(await log.since('aging', first), { events: [], gap: true });
    const next = await log.append('aging', 'new');
    assert.deepEqual(await log.since('aging', first), { events: [{ id: next, data: 'new' }], gap: true });
    assert.deepEqual(await log.since('aging', next), { events: [], gap: false });
  });

  // Not "an id of another topic": Redis numbers each topic's Stream on its own, so one
  // topic may hold an id another topic issued (a stream resumes on its own topic only).
  it('an id the log never held on this topic (malformed, older than it, unknown topic) is a gap', async () => {
    const { log } = await make({ maxEvents: 100, maxAgeMs: LONG });
    const [b1, b2] = await appendAll(log, 'topic-b', ['b1', 'b2']);
    for (const bad of ['', 'nope', '12', '1-2-3', '-1-0', 'NaN-0', '1'.repeat(20) + '-0']) {
      assert.deepEqual(await log.since('topic-b', bad), { events: [], gap: true }, bad);
    }
    const [ms] = parseEventId(b1 as string) as readonly [number, number];
    for (const before of ['1-0', `${ms - 1}-0`]) {
      assert.deepEqual(await log.since('topic-b', before), { events: [{ id: b1, data: 'b1' }, { id: b2, data: 'b2' }], gap: true }, before);
    }
    assert.deepEqual(await log.since('never-published', b1 as string), { events: [], gap: true });
  });
}
