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
        heap: ratio(r.memory?.heapKBPerConnection, floor?.memory?.heapKBPerConnection),
        rss: ratio(r.memory?.rssKBPerConnection, floor?.memory?.rssKBPerConnection),
        peruserHeap: ratio(r.peruser?.heapKBPerConnection, floor?.peruser?.heapKBPerConnection),
      };
    }
    const tessera = at('tessera');
    const goals = {};
    if (tessera !== undefined && floor !== undefined) {
      const t = ratios.tessera;
      goals.broadcastCpuAtMost1xFloor = { value: t.broadcastCpu, met: t.broadcastCpu !== undefined && t.broadcastCpu <= 1.0 };
      goals.peruserCpuAtMost2xFloor = { value: t.peruserCpu, met: t.peruserCpu !== undefined && t.peruserCpu <= 2.0 };
      goals.heapAtMost1_3xRaw = { value: t.heap, met: t.heap !== undefined && t.heap <= 1.3 };
      goals.rssAtMost1_3xRaw = { value: t.rss, met: t.rss !== undefined && t.rss <= 1.3 };
    }
    const gqlws = at('graphql-ws');
    if (tessera !== undefined && gqlws !== undefined) {
      // Connections per second of server CPU: the server's capacity, which the wall rate hides when the client saturates.
      const capacity = ratio(gqlws.connect?.serverCpuUsPerConnection, tessera.connect?.serverCpuUsPerConnection);
      goals.connectAtLeast2xGraphqlWs = { value: capacity, met: capacity !== undefined && capacity >= 2, wallRatio: ratio(tessera.connect?.perSecond, gqlws.connect?.perSecond) };
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

export function printReport(report) {
  const { results, evaluation, meta } = report;
  const out = [];
  out.push(`\nTessera subscription bench, ${meta.startedAt}, Node ${meta.node}, ${meta.cpus} CPUs, ${meta.clients} client processes`);
  out.push('CPU = server process CPU (user+system) per delivered frame or per connection; ratios (×) against the raw ws floor; heap/RSS after GC.');
  for (const { n, ratios, goals } of evaluation) {
    out.push(`\nN = ${n}`);
    const rows = [[
      'server', 'bcast µs/del', '×floor', 'user µs/del', '×floor', 'conn µs', '×floor', 'conn/s', 'heap KB', '×raw', 'RSS KB', '×raw',
      'bcast p50/p99/max ms', 'user p50/p99/max ms', 'bcast last ms', 'bcast del/s', 'user del/s', 'loadgen µs/del',
      'user heap KB', '×raw',
    ]];
    for (const r of results.filter((x) => x.n === n)) {
      if (r.error !== undefined) {
        rows.push([r.server, `failed: ${r.error.slice(0, 60)}`, ...Array(18).fill('')]);
        continue;
      }
      const q = ratios[r.server] ?? {};
      const lat = (s) => (s === undefined ? '-' : `${f(s.latencyMs.p50)}/${f(s.latencyMs.p99)}/${f(s.latencyMs.max)}`);
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
    }
    out.push(table(rows));
    const missing = results.filter((r) => r.n === n && ((r.broadcast?.missing ?? 0) > 0 || (r.peruser?.missing ?? 0) > 0 || (r.connect?.failed ?? 0) > 0));
    for (const r of missing) {
      out.push(`  note: ${r.server} failed connections ${r.connect?.failed ?? 0}, missing deliveries broadcast ${r.broadcast?.missing ?? 0}, per-user ${r.peruser?.missing ?? 0}`);
    }
    const g = goals;
    const mark = (goal) => (goal === undefined ? 'n/a' : goal.met ? 'MET' : 'MISSED');
    out.push(
      `  goals for Tessera: broadcast ≤1.0× floor ${mark(g.broadcastCpuAtMost1xFloor)} (${x(g.broadcastCpuAtMost1xFloor?.value)}); ` +
        `per-user ≤2× floor ${mark(g.peruserCpuAtMost2xFloor)} (${x(g.peruserCpuAtMost2xFloor?.value)}); ` +
        `heap ≤1.3× raw ${mark(g.heapAtMost1_3xRaw)} (${x(g.heapAtMost1_3xRaw?.value)}); ` +
        `RSS ≤1.3× raw ${mark(g.rssAtMost1_3xRaw)} (${x(g.rssAtMost1_3xRaw?.value)}); ` +
        `connect ≥2× graphql-ws ${mark(g.connectAtLeast2xGraphqlWs)} (${x(g.connectAtLeast2xGraphqlWs?.value)} by server CPU, ${x(g.connectAtLeast2xGraphqlWs?.wallRatio)} by wall rate); ` +
        `ahead of every peer ${mark(g.aheadOfEveryPeer)}`,
    );
    for (const b of g.aheadOfEveryPeer?.behind ?? []) {
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
  for (const { n, ratios, goals } of evaluation) {
    lines.push(`**N = ${n}**`, '');
    lines.push('| server | broadcast µs/delivery (× floor) | per-user µs/delivery (× floor) | connect µs (× floor) | connections/s (wall) | heap KB/conn (× raw) | RSS KB/conn (× raw) | broadcast p50 / p99 / max ms | per-user p50 / p99 / max ms | broadcast time to last ms | per-user time to last ms | per-user heap KB/conn (× raw) | load generator µs/delivery |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of results.filter((x) => x.n === n && x.error === undefined)) {
      const q = ratios[r.server] ?? {};
      const lat = (s) => (s === undefined ? '-' : `${f(s.latencyMs.p50)} / ${f(s.latencyMs.p99)} / ${f(s.latencyMs.max)}`);
      const name = r.server === 'raw' ? 'raw ws (floor)' : r.server === 'tessera' ? '**tessera**' : r.server;
      lines.push(`| ${name} | ${f(r.broadcast?.serverCpuUsPerDelivery)} (${x(q.broadcastCpu)}) | ${f(r.peruser?.serverCpuUsPerDelivery)} (${x(q.peruserCpu)}) | ${f(r.connect?.serverCpuUsPerConnection, 0)} (${x(q.connectCpu)}) | ${f(r.connect?.perSecond, 0)} | ${f(r.memory?.heapKBPerConnection)} (${x(q.heap)}) | ${f(r.memory?.rssKBPerConnection)} (${x(q.rss)}) | ${lat(r.broadcast)} | ${lat(r.peruser)} | ${f(r.broadcast?.timeToLastMs.mean)} | ${f(r.peruser?.timeToLastMs.mean)} | ${f(r.peruser?.heapKBPerConnection)} (${x(q.peruserHeap)}) | ${f(r.broadcast?.clientCpuUsPerDelivery)} |`);
    }
    const mark = (goal) => (goal === undefined ? 'n/a' : goal.met ? 'met' : 'missed');
    lines.push('');
    lines.push(
      `Goals: broadcast ≤ 1.0× floor **${mark(goals.broadcastCpuAtMost1xFloor)}** (${x(goals.broadcastCpuAtMost1xFloor?.value)}); ` +
        `per-user ≤ 2× floor **${mark(goals.peruserCpuAtMost2xFloor)}** (${x(goals.peruserCpuAtMost2xFloor?.value)}); ` +
        `heap ≤ 1.3× raw **${mark(goals.heapAtMost1_3xRaw)}** (${x(goals.heapAtMost1_3xRaw?.value)}); ` +
        `RSS ≤ 1.3× raw **${mark(goals.rssAtMost1_3xRaw)}** (${x(goals.rssAtMost1_3xRaw?.value)}); ` +
        `connect ≥ 2× graphql-ws **${mark(goals.connectAtLeast2xGraphqlWs)}** (${x(goals.connectAtLeast2xGraphqlWs?.value)} by server CPU, ${x(goals.connectAtLeast2xGraphqlWs?.wallRatio)} by wall rate); ` +
        `ahead of every peer on every measure **${mark(goals.aheadOfEveryPeer)}**` +
        (goals.aheadOfEveryPeer?.behind?.length ? ` (behind on: ${goals.aheadOfEveryPeer.behind.map((b) => `${b.measure} vs ${b.peer}`).join('; ')})` : ''),
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}
