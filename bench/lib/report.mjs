/** Ratios, goals, the printed table and the SVG chart, all from the results of one run. */

const PEERS = ['graphql-ws', 'yoga', 'mercurius'];

/** [label, path, lower-is-better] for every measure Tessera should lead on. */
const MEASURES = [
  ['broadcast CPU/delivery', (r) => r.broadcast?.serverCpuUsPerDelivery, true],
  ['per-user CPU/delivery', (r) => r.peruser?.serverCpuUsPerDelivery, true],
  ['connect CPU/connection', (r) => r.connect?.serverCpuUsPerConnection, true],
  ['connect rate (wall)', (r) => r.connect?.perSecond, false],
  ['heap/connection', (r) => r.memory?.heapKBPerConnection, true],
  ['RSS/connection', (r) => r.memory?.rssKBPerConnection, true],
  ['broadcast deliveries/s', (r) => r.broadcast?.deliveriesPerSecond, false],
  ['per-user deliveries/s', (r) => r.peruser?.deliveriesPerSecond, false],
  ['broadcast p50 latency', (r) => r.broadcast?.latencyMs.p50, true],
  ['broadcast p99 latency', (r) => r.broadcast?.latencyMs.p99, true],
  ['broadcast max latency', (r) => r.broadcast?.latencyMs.max, true],
  ['per-user p50 latency', (r) => r.peruser?.latencyMs.p50, true],
  ['per-user p99 latency', (r) => r.peruser?.latencyMs.p99, true],
  ['per-user max latency', (r) => r.peruser?.latencyMs.max, true],
  ['broadcast time to last', (r) => r.broadcast?.timeToLastMs.mean, true],
  ['per-user time to last', (r) => r.peruser?.timeToLastMs.mean, true],
];

/** The four delivery scenarios of a result: paced (the rounds waited for one by one) and burst. */
export const SCENARIOS = ['broadcast', 'broadcastBurst', 'peruser', 'peruserBurst'];

const atMost = (value, bound) => ({ value, bound, met: value !== undefined && value <= bound });

const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b !== 0 ? a / b : undefined);

export function evaluate(results) {
  const sizes = [...new Set(results.map((r) => r.n))];
  const out = [];
  for (const n of sizes) {
    const at = (server) => results.find((r) => r.server === server && r.n === n && r.error === undefined);
    const floor = at('raw');
    const ratios = {};
    for (const r of results.filter((x) => x.n === n && x.error === undefined)) {
      ratios[r.server] = {
        broadcastCpu: ratio(r.broadcast?.serverCpuUsPerDelivery, floor?.broadcast?.serverCpuUsPerDelivery),
        peruserCpu: ratio(r.peruser?.serverCpuUsPerDelivery, floor?.peruser?.serverCpuUsPerDelivery),
        connectCpu: ratio(r.connect?.serverCpuUsPerConnection, floor?.connect?.serverCpuUsPerConnection),
        connectAgainCpu: ratio(r.peruser?.connect?.serverCpuUsPerConnection, floor?.peruser?.connect?.serverCpuUsPerConnection),
        heap: ratio(r.memory?.heapKBPerConnection, floor?.memory?.heapKBPerConnection),
        rss: ratio(r.memory?.rssKBPerConnection, floor?.memory?.rssKBPerConnection),
        peruserHeap: ratio(r.peruser?.heapKBPerConnection, floor?.peruser?.heapKBPerConnection),
        broadcastP99: ratio(r.broadcast?.latencyMs.p99, floor?.broadcast?.latencyMs.p99),
        peruserP99: ratio(r.peruser?.latencyMs.p99, floor?.peruser?.latencyMs.p99),
        broadcastBurstCpu: ratio(r.broadcastBurst?.serverCpuUsPerDelivery, floor?.broadcastBurst?.serverCpuUsPerDelivery),
        peruserBurstCpu: ratio(r.peruserBurst?.serverCpuUsPerDelivery, floor?.peruserBurst?.serverCpuUsPerDelivery),
        broadcastBurstP99: ratio(r.broadcastBurst?.latencyMs.p99, floor?.broadcastBurst?.latencyMs.p99),
        peruserBurstP99: ratio(r.peruserBurst?.latencyMs.p99, floor?.peruserBurst?.latencyMs.p99),
        broadcastBurstLast: ratio(r.broadcastBurst?.timeToLastMs.mean, floor?.broadcastBurst?.timeToLastMs.mean),
        peruserBurstLast: ratio(r.peruserBurst?.timeToLastMs.mean, floor?.peruserBurst?.timeToLastMs.mean),
      };
    }
    const tessera = at('tessera');
    const goals = {};
    if (tessera !== undefined && floor !== undefined) {
      const t = ratios.tessera;
      // Issue 11's goals, on the paced scenarios (as the issue measured them).
      goals.broadcastCpuAtMost1xFloor = atMost(t.broadcastCpu, 1.0);
      goals.broadcastP99NotBehindFloor = atMost(t.broadcastP99, 1.0);
      goals.peruserCpuAtMost1_2xFloor = atMost(t.peruserCpu, 1.2);
      goals.peruserP99AtMost1_1xFloor = atMost(t.peruserP99, 1.1);
      goals.heapAtMost1_3xRaw = atMost(t.heap, 1.3);
      goals.peruserHeapAtMost1_3xRaw = atMost(t.peruserHeap, 1.3);
      goals.connectCpuAtMost1_4xRaw = atMost(t.connectCpu, 1.4);
      // Information: the per-user phase connects N more sockets to the same (no longer cold) process.
      if (t.connectAgainCpu !== undefined) {
        goals.connectAgain = { value: t.connectAgainCpu, tesseraUs: tessera.peruser.connect.serverCpuUsPerConnection, rawUs: floor.peruser.connect.serverCpuUsPerConnection };
      }
      goals.rssAtMost1_3xRaw = atMost(t.rss, 1.3);
      // The burst scenarios against the same CPU bounds; for latency the time to
      // the last subscriber, not the p99: a burst's latency runs from each
      // publish's own issue, and a server whose publish sends synchronously (the
      // floor) issues its later rounds only after sending the earlier ones.
      if (tessera.broadcastBurst !== undefined || tessera.peruserBurst !== undefined) {
        goals.burst = {
          broadcastCpuAtMost1xFloor: atMost(t.broadcastBurstCpu, 1.0),
          broadcastLastNotBehindFloor: atMost(t.broadcastBurstLast, 1.0),
          peruserCpuAtMost1_2xFloor: atMost(t.peruserBurstCpu, 1.2),
          peruserLastNotBehindFloor: atMost(t.peruserBurstLast, 1.0),
        };
      }
    }
    if (tessera !== undefined) {
      // Every scenario delivered every frame and the server closed no socket (a slow-consumer close is a failure).
      const lost = [];
      for (const key of SCENARIOS) {
        const s = tessera[key];
        if (s !== undefined && (s.missing > 0 || (s.closedByServer ?? 0) > 0 || (s.timedOutRounds ?? 0) > 0)) {
          lost.push({ scenario: key, missing: s.missing, closedByServer: s.closedByServer ?? 0, timedOutRounds: s.timedOutRounds ?? 0 });
        }
      }
      goals.nothingLost = { met: lost.length === 0 && (tessera.connect?.failed ?? 0) === 0, lost, failedConnections: tessera.connect?.failed ?? 0 };
    }
    const gqlws = at('graphql-ws');
    if (tessera !== undefined && gqlws !== undefined) {
      // Connections per second of server CPU: the server's capacity, which the wall rate hides when the client saturates.
      const capacity = ratio(gqlws.connect?.serverCpuUsPerConnection, tessera.connect?.serverCpuUsPerConnection);
      // The older goal (from before issue 11), printed as information.
      goals.connectAtLeast2xGraphqlWs = { older: true, value: capacity, met: capacity !== undefined && capacity >= 2, wallRatio: ratio(tessera.connect?.perSecond, gqlws.connect?.perSecond) };
    }
    if (tessera !== undefined) {
      const behind = [];
      for (const peer of PEERS) {
        const p = at(peer);
        if (p === undefined) continue;
        for (const [label, get, lower] of MEASURES) {
          const a = get(tessera);
          const b = get(p);
          if (typeof a !== 'number' || typeof b !== 'number') continue;
          if (lower ? a > b : a < b) behind.push({ peer, measure: label, tessera: a, peer_value: b });
        }
      }
      goals.aheadOfEveryPeer = { met: behind.length === 0, behind };
    }
    out.push({ n, ratios, goals });
  }
  return out;
}

const f = (value, digits = 1) => (typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '-');
const x = (value) => (typeof value === 'number' && Number.isFinite(value) ? `${value.toFixed(2)}×` : '-');

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => String(row[c]).length)));
  return rows.map((row, i) => {
    const line = row.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ');
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

/**
 * The goals under a table, as lines: issue 11's (paced), the burst figures
 * against the same bounds, what was lost, the older goal as information.
 * `mark(goal)` renders met / missed / n/a.
 */
function goalLines(g, mark) {
  const item = (label, goal) => `${label} ${mark(goal)} (${x(goal?.value)})`;
  const lines = [
    `Issue 11's goals for Tessera (paced): ` +
      [
        item('per-user CPU ≤ 1.2× raw', g.peruserCpuAtMost1_2xFloor),
        item('per-user p99 ≤ 1.1× raw', g.peruserP99AtMost1_1xFloor),
        item('broadcast CPU ≤ 1.0× raw', g.broadcastCpuAtMost1xFloor),
        item('broadcast p99 not behind raw', g.broadcastP99NotBehindFloor),
        item('heap per broadcast socket ≤ 1.3× raw', g.heapAtMost1_3xRaw),
        item('heap per per-user socket ≤ 1.3× raw', g.peruserHeapAtMost1_3xRaw),
        item('connect CPU ≤ 1.4× raw', g.connectCpuAtMost1_4xRaw),
        item('RSS ≤ 1.3× raw', g.rssAtMost1_3xRaw),
        `ahead of every peer ${mark(g.aheadOfEveryPeer)}`,
      ].join('; '),
  ];
  if (g.burst !== undefined) {
    lines.push(
      `Burst, against the same CPU bounds and raw's time to last (no issue sets burst goals): ` +
        [
          item('per-user CPU ≤ 1.2× raw', g.burst.peruserCpuAtMost1_2xFloor),
          item('per-user time to last not behind raw', g.burst.peruserLastNotBehindFloor),
          item('broadcast CPU ≤ 1.0× raw', g.burst.broadcastCpuAtMost1xFloor),
          item('broadcast time to last not behind raw', g.burst.broadcastLastNotBehindFloor),
        ].join('; '),
    );
  }
  if (g.nothingLost !== undefined) {
    const lost = g.nothingLost.lost.map((l) => `${l.scenario}: ${l.missing} missing, ${l.closedByServer} sockets closed by the server, ${l.timedOutRounds} rounds timed out`);
    if (g.nothingLost.failedConnections > 0) lost.push(`${g.nothingLost.failedConnections} failed connections`);
    lines.push(`Every frame delivered, no socket closed by the server, paced and burst: ${mark(g.nothingLost)}${lost.length > 0 ? ` (${lost.join('; ')})` : ''}`);
  }
  if (g.connectAgain !== undefined) {
    const a = g.connectAgain;
    lines.push(`Connect, information only: the per-user phase's fresh sockets, same process: ${x(a.value)} raw (${f(a.tesseraUs, 0)} vs ${f(a.rawUs, 0)} µs server CPU per connection)`);
  }
  const c = g.connectAtLeast2xGraphqlWs;
  if (c !== undefined) {
    lines.push(`Older goal (before issue 11), information only: connect ≥ 2× graphql-ws ${mark(c)} (${x(c.value)} by server CPU, ${x(c.wallRatio)} by wall rate)`);
  }
  return lines;
}

const lat = (s) => (s === undefined ? '-' : `${f(s.latencyMs.p50)}/${f(s.latencyMs.p99)}/${f(s.latencyMs.max)}`);
const lost = (s) => (s === undefined ? '-' : `${s.missing}/${s.closedByServer ?? 0}`);

export function printReport(report) {
  const { results, evaluation, meta } = report;
  const out = [];
  out.push(`\nTessera subscription bench, ${meta.startedAt}, Node ${meta.node}, ${meta.cpus} CPUs, ${meta.clients} client processes`);
  out.push('CPU = server process CPU (user+system) per delivered frame or per connection; ratios (×) against the raw ws floor; heap/RSS after GC.');
  out.push('paced: each round waited for before the next; burst: every round published back to back (last ms: first publish to the last subscriber of the last round).');
  for (const { n, ratios, goals } of evaluation) {
    out.push(`\nN = ${n}, paced`);
    const rows = [[
      'server', 'bcast µs/del', '×floor', 'user µs/del', '×floor', 'conn µs', '×floor', 'conn/s', 'heap KB', '×raw', 'RSS KB', '×raw',
      'bcast p50/p99/max ms', 'user p50/p99/max ms', 'bcast last ms', 'bcast del/s', 'user del/s', 'loadgen µs/del',
      'user heap KB', '×raw',
    ]];
    const burstRows = [[
      'server', 'bcast µs/del', '×floor', 'bcast p50/p99/max ms', '×p99', 'bcast last ms', '×floor', 'bcast del/s', 'missing/closed',
      'user µs/del', '×floor', 'user p50/p99/max ms', '×p99', 'user last ms', '×floor', 'user del/s', 'missing/closed',
    ]];
    for (const r of results.filter((x) => x.n === n)) {
      if (r.error !== undefined) {
        rows.push([r.server, `failed: ${r.error.slice(0, 60)}`, ...Array(18).fill('')]);
        continue;
      }
      const q = ratios[r.server] ?? {};
      rows.push([
        r.server,
        f(r.broadcast?.serverCpuUsPerDelivery), x(q.broadcastCpu),
        f(r.peruser?.serverCpuUsPerDelivery), x(q.peruserCpu),
        f(r.connect?.serverCpuUsPerConnection, 0), x(q.connectCpu),
        f(r.connect?.perSecond, 0),
        f(r.memory?.heapKBPerConnection), x(q.heap),
        f(r.memory?.rssKBPerConnection), x(q.rss),
        lat(r.broadcast), lat(r.peruser),
        f(r.broadcast?.timeToLastMs.mean),
        f(r.broadcast?.deliveriesPerSecond, 0), f(r.peruser?.deliveriesPerSecond, 0),
        f(r.broadcast?.clientCpuUsPerDelivery),
        f(r.peruser?.heapKBPerConnection), x(q.peruserHeap),
      ]);
      if (r.broadcastBurst !== undefined || r.peruserBurst !== undefined) {
        const b = r.broadcastBurst;
        const u = r.peruserBurst;
        burstRows.push([
          r.server,
          f(b?.serverCpuUsPerDelivery), x(q.broadcastBurstCpu), lat(b), x(q.broadcastBurstP99), f(b?.timeToLastMs.mean), x(q.broadcastBurstLast), f(b?.deliveriesPerSecond, 0), lost(b),
          f(u?.serverCpuUsPerDelivery), x(q.peruserBurstCpu), lat(u), x(q.peruserBurstP99), f(u?.timeToLastMs.mean), x(q.peruserBurstLast), f(u?.deliveriesPerSecond, 0), lost(u),
        ]);
      }
    }
    out.push(table(rows));
    if (burstRows.length > 1) {
      out.push(`\nN = ${n}, burst (${results.find((r) => r.n === n && r.broadcastBurst !== undefined)?.broadcastBurst.rounds ?? '-'} rounds back to back)`);
      out.push(table(burstRows));
    }
    const failing = results.filter((r) => r.n === n && ((r.connect?.failed ?? 0) > 0 || SCENARIOS.some((k) => (r[k]?.missing ?? 0) > 0 || (r[k]?.closedByServer ?? 0) > 0)));
    for (const r of failing) {
      out.push(
        `  FAILURE: ${r.server} failed connections ${r.connect?.failed ?? 0}; ` +
          SCENARIOS.filter((k) => r[k] !== undefined).map((k) => `${k} ${r[k].missing} missing, ${r[k].closedByServer ?? 0} closed by the server`).join('; '),
      );
    }
    const mark = (goal) => (goal === undefined ? 'n/a' : goal.met ? 'MET' : 'MISSED');
    for (const line of goalLines(goals, mark)) out.push(`  ${line}`);
    for (const b of goals.aheadOfEveryPeer?.behind ?? []) {
      out.push(`    behind ${b.peer} on ${b.measure}: ${f(b.tessera, 2)} vs ${f(b.peer_value, 2)}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

const COLORS = { raw: '#8c8c8c', tessera: '#d62728', 'graphql-ws': '#1f77b4', yoga: '#e377c2', mercurius: '#2ca02c', 'tessera-sse': '#ff9896', 'yoga-sse': '#f7b6d2' };
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Four panels of grouped bars (one group per N, one bar per server), absolute values with the floor as a grey bar. */
export function renderSvg(report) {
  const panels = [
    ['Broadcast: server CPU µs per delivery', (r) => r.broadcast?.serverCpuUsPerDelivery],
    ['Per-user topics: server CPU µs per delivery', (r) => r.peruser?.serverCpuUsPerDelivery],
    ['Connect (Origin, ticket, ack, subscribe): server CPU µs', (r) => r.connect?.serverCpuUsPerConnection],
    ['Heap KB per subscribed connection (after GC)', (r) => r.memory?.heapKBPerConnection],
  ];
  const results = report.results.filter((r) => r.error === undefined);
  const servers = report.meta.servers;
  const sizes = report.meta.sizes;
  const W = 520;
  const H = 260;
  const pad = { l: 50, r: 10, t: 30, b: 40 };
  const parts = [];
  panels.forEach(([title, get], p) => {
    const ox = (p % 2) * W;
    const oy = (p >> 1) * H + 30;
    const values = results.map(get).filter((v) => typeof v === 'number' && Number.isFinite(v));
    const max = Math.max(1e-9, ...values) * 1.1;
    const plotW = W - pad.l - pad.r;
    const plotH = H - pad.t - pad.b;
    parts.push(`<text x="${ox + pad.l}" y="${oy + 18}" font-size="13" font-weight="bold">${esc(title)}</text>`);
    parts.push(`<line x1="${ox + pad.l}" y1="${oy + pad.t + plotH}" x2="${ox + pad.l + plotW}" y2="${oy + pad.t + plotH}" stroke="#333"/>`);
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      const y = oy + pad.t + plotH - (plotH * i) / 4;
      parts.push(`<line x1="${ox + pad.l}" y1="${y}" x2="${ox + pad.l + plotW}" y2="${y}" stroke="#eee"/>`);
      parts.push(`<text x="${ox + pad.l - 4}" y="${y + 4}" font-size="10" text-anchor="end">${v >= 100 ? v.toFixed(0) : v.toFixed(1)}</text>`);
    }
    const groupW = plotW / sizes.length;
    const barW = (groupW * 0.8) / servers.length;
    sizes.forEach((n, g) => {
      const gx = ox + pad.l + g * groupW + groupW * 0.1;
      parts.push(`<text x="${gx + groupW * 0.4}" y="${oy + pad.t + plotH + 14}" font-size="11" text-anchor="middle">N = ${n}</text>`);
      servers.forEach((server, s) => {
        const r = results.find((x) => x.server === server && x.n === n);
        const v = r === undefined ? undefined : get(r);
        if (typeof v !== 'number' || !Number.isFinite(v)) return;
        const h = (plotH * v) / max;
        const x = gx + s * barW;
        parts.push(`<rect x="${x.toFixed(1)}" y="${(oy + pad.t + plotH - h).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[server] ?? '#000'}"><title>${esc(server)} N=${n}: ${v.toFixed(2)}</title></rect>`);
      });
    });
  });
  const legend = servers
    .map((server, i) => `<rect x="${10 + i * 120}" y="8" width="12" height="12" fill="${COLORS[server] ?? '#000'}"/><text x="${26 + i * 120}" y="18" font-size="12">${esc(server === 'raw' ? 'raw ws (floor)' : server)}</text>`)
    .join('');
  const footer = `<text x="10" y="${2 * H + 50}" font-size="11" fill="#555">${esc(`${report.meta.startedAt} · Node ${report.meta.node} · ${report.meta.cpus} CPUs · ${report.meta.command} · lower is better`)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${2 * H + 60}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${legend}${parts.join('')}${footer}</svg>\n`;
}

/** The ratio tables as Markdown, for bench/README.md (written as results/latest.md). */
export function renderMarkdown(report) {
  const { results, evaluation, meta } = report;
  const load = meta.loadAverage === undefined ? '' : `, load average at the end ${meta.loadAverage.map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min)`;
  const lines = [`Run of ${meta.startedAt} (\`${meta.command}\`), Node ${meta.node}, ${meta.cpus} CPUs, ${meta.clients} client processes, ${Math.round(meta.durationSeconds)} s${load}.`, ''];
  const mdLat = (s) => (s === undefined ? '-' : `${f(s.latencyMs.p50)} / ${f(s.latencyMs.p99)} / ${f(s.latencyMs.max)}`);
  for (const { n, ratios, goals } of evaluation) {
    lines.push(`**N = ${n}, paced** (each round waited for before the next)`, '');
    lines.push('| server | broadcast µs/delivery (× floor) | per-user µs/delivery (× floor) | connect µs (× floor) | connections/s (wall) | heap KB/conn (× raw) | RSS KB/conn (× raw) | broadcast p50 / p99 / max ms | per-user p50 / p99 / max ms | broadcast time to last ms | per-user time to last ms | per-user heap KB/conn (× raw) | load generator µs/delivery |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    const ok = results.filter((x) => x.n === n && x.error === undefined);
    for (const r of ok) {
      const q = ratios[r.server] ?? {};
      const name = r.server === 'raw' ? 'raw ws (floor)' : r.server === 'tessera' ? '**tessera**' : r.server;
      lines.push(`| ${name} | ${f(r.broadcast?.serverCpuUsPerDelivery)} (${x(q.broadcastCpu)}) | ${f(r.peruser?.serverCpuUsPerDelivery)} (${x(q.peruserCpu)}) | ${f(r.connect?.serverCpuUsPerConnection, 0)} (${x(q.connectCpu)}) | ${f(r.connect?.perSecond, 0)} | ${f(r.memory?.heapKBPerConnection)} (${x(q.heap)}) | ${f(r.memory?.rssKBPerConnection)} (${x(q.rss)}) | ${mdLat(r.broadcast)} | ${mdLat(r.peruser)} | ${f(r.broadcast?.timeToLastMs.mean)} | ${f(r.peruser?.timeToLastMs.mean)} | ${f(r.peruser?.heapKBPerConnection)} (${x(q.peruserHeap)}) | ${f(r.broadcast?.clientCpuUsPerDelivery)} |`);
    }
    for (const r of results.filter((x) => x.n === n && x.error !== undefined)) lines.push(`| ${r.server} | failed: ${r.error.slice(0, 80)} | | | | | | | | | | | |`);
    const bursts = ok.filter((r) => r.broadcastBurst !== undefined || r.peruserBurst !== undefined);
    if (bursts.length > 0) {
      const rounds = bursts.find((r) => r.broadcastBurst !== undefined)?.broadcastBurst.rounds ?? bursts[0].peruserBurst?.rounds;
      lines.push('', `**N = ${n}, burst** (${rounds} rounds published back to back; time to last: from the first publish to the last subscriber of the last round)`, '');
      lines.push('| server | broadcast µs/delivery (× floor) | broadcast p50 / p99 / max ms (p99 × floor) | broadcast time to last ms (× floor) | broadcast deliveries/s | broadcast missing / closed by server | per-user µs/delivery (× floor) | per-user p50 / p99 / max ms (p99 × floor) | per-user time to last ms (× floor) | per-user deliveries/s | per-user missing / closed by server |');
      lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
      for (const r of bursts) {
        const q = ratios[r.server] ?? {};
        const b = r.broadcastBurst;
        const u = r.peruserBurst;
        const name = r.server === 'raw' ? 'raw ws (floor)' : r.server === 'tessera' ? '**tessera**' : r.server;
        const lost = (s) => (s === undefined ? '-' : `${s.missing} / ${s.closedByServer ?? 0}`);
        lines.push(`| ${name} | ${f(b?.serverCpuUsPerDelivery)} (${x(q.broadcastBurstCpu)}) | ${mdLat(b)} (${x(q.broadcastBurstP99)}) | ${f(b?.timeToLastMs.mean)} (${x(q.broadcastBurstLast)}) | ${f(b?.deliveriesPerSecond, 0)} | ${lost(b)} | ${f(u?.serverCpuUsPerDelivery)} (${x(q.peruserBurstCpu)}) | ${mdLat(u)} (${x(q.peruserBurstP99)}) | ${f(u?.timeToLastMs.mean)} (${x(q.peruserBurstLast)}) | ${f(u?.deliveriesPerSecond, 0)} | ${lost(u)} |`);
      }
    }
    const mark = (goal) => (goal === undefined ? 'n/a' : goal.met ? '**met**' : '**missed**');
    lines.push('');
    for (const line of goalLines(goals, mark)) lines.push(`${line}.`, '');
    if (goals.aheadOfEveryPeer?.behind?.length) {
      lines.push(`Behind a peer on: ${goals.aheadOfEveryPeer.behind.map((b) => `${b.measure} vs ${b.peer}`).join('; ')}.`, '');
    }
  }
  return `${lines.join('\n')}\n`;
}
