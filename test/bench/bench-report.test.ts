/**
 * The bench's report (bench/lib/report.mjs, a pure core): a socket the server
 * closed during a scenario, and the frames it lost, come out as a failure in
 * the goals and the Markdown, never dropped; and the goals are issue 11's.
 * Synthetic results: this checks the report's arithmetic, not any speed.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/repo-root.js';


interface Goal {
  value?: number;
  met: boolean;
  lost?: { scenario: string; missing: number; closedByServer: number }[];
}
interface Report {
  evaluate(results: unknown[]): { n: number; goals: Record<string, Goal & Record<string, Goal>> }[];
  renderMarkdown(report: unknown): string;
}

const { evaluate, renderMarkdown } = (await import(pathToFileURL(join(repoRoot(import.meta.url), 'bench', 'lib', 'report.mjs')).href)) as Report;

function scenario(cpu: number, p99: number, last: number, extra: Record<string, number> = {}) {
  return { rounds: 10, deliveries: 1000, missing: 0, closedByServer: 0, timedOutRounds: 0, serverCpuUsPerDelivery: cpu, clientCpuUsPerDelivery: 10, deliveriesPerSecond: 1000, latencyMs: { p50: p99 / 2, p99, max: p99 }, timeToLastMs: { mean: last, max: last }, ...extra };
}

function result(server: string, cpu: number, burstExtra: Record<string, number> = {}) {
  return {
    server,
    n: 100,
    connect: { ok: 100, failed: 0, perSecond: 100, serverCpuUsPerConnection: cpu * 10 },
    memory: { heapKBPerConnection: cpu / 5, rssKBPerConnection: cpu / 5 },
    broadcast: scenario(cpu, 10, 20),
    broadcastBurst: scenario(cpu, 10, 20, burstExtra),
    peruser: { ...scenario(cpu, 10, 20), heapKBPerConnection: cpu / 5 },
    peruserBurst: scenario(cpu, 10, 20),
  };
}

const meta = { startedAt: 'now', command: 'test', node: process.version, cpus: 2, clients: 1, durationSeconds: 1, loadAverage: [0, 0, 0] };

test('a socket closed by the server during a burst is a failure in the goals and the Markdown', () => {
  const results = [result('raw', 10), result('tessera', 10, { missing: 30, closedByServer: 3 })];
  const [evaluation] = evaluate(results);
  const lost = evaluation?.goals['nothingLost'];
  assert.equal(lost?.met, false);
  assert.deepEqual(lost?.lost?.map((l) => [l.scenario, l.missing, l.closedByServer]), [['broadcastBurst', 30, 3]]);
  const markdown = renderMarkdown({ meta, results, evaluation: [evaluation] });
  assert.match(markdown, /no socket closed by the server, paced and burst: \*\*missed\*\* \(broadcastBurst: 30 missing, 3 sockets closed by the server/);
  assert.match(markdown, /\| 30 \/ 3 \|/);
});

test("issue 11's bounds: 1.2× per-user CPU is met, 1.21× is not; the older connect goal is marked older", () => {
  const at = (cpu: number) => evaluate([result('raw', 10), result('tessera', cpu)])[0]?.goals;
  assert.equal(at(12)?.['peruserCpuAtMost1_2xFloor']?.met, true);
  assert.equal(at(12.1)?.['peruserCpuAtMost1_2xFloor']?.met, false);
  assert.equal(at(12)?.['nothingLost']?.met, true);
  assert.equal(at(14)?.['connectCpuAtMost1_4xRaw']?.met, true);
  assert.equal(at(14.1)?.['connectCpuAtMost1_4xRaw']?.met, false);
  const withPeer = evaluate([result('raw', 10), result('tessera', 10), result('graphql-ws', 30)])[0]?.goals;
  assert.equal((withPeer?.['connectAtLeast2xGraphqlWs'] as unknown as { older: boolean }).older, true);
});

test("the per-user phase's connects are reported as information beside the connect goal, which stays the first phase's", () => {
  const raw = result('raw', 10);
  const tessera = result('tessera', 10);
  tessera.connect.serverCpuUsPerConnection = 150; // 1.5x raw's 100: missed
  const again = (us: number) => ({ ok: 100, wallMs: 1, serverCpuUsPerConnection: us, serverUserUsPerConnection: us, serverSystemUsPerConnection: 0 });
  const results = [
    { ...raw, peruser: { ...raw.peruser, connect: again(100) } },
    { ...tessera, peruser: { ...tessera.peruser, connect: again(120) } },
  ];
  const [evaluation] = evaluate(results);
  assert.equal(evaluation?.goals['connectCpuAtMost1_4xRaw']?.met, false);
  assert.equal(evaluation?.goals['connectAgain']?.value, 1.2);
  const markdown = renderMarkdown({ meta, results, evaluation: [evaluation] });
  assert.match(markdown, /connect CPU ≤ 1\.4× raw \*\*missed\*\* \(1\.50×\)/);
  assert.match(markdown, /Connect, information only: the per-user phase's fresh sockets, same process: 1\.20× raw \(120 vs 100 µs/);
});
