// Attack: N junk login requests from one address against a fresh default server (node dist/src/main.js),
// with 60 KB email strings ("huge") or distinct valid-looking emails ("valid"); prints the server's idle and
// peak RSS and the worst /healthz latency meanwhile. Usage: node scripts/attack-junk-logins.mjs [main.js] [N] [huge|valid]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
const [mainArg, N = '30000', kind = 'huge'] = process.argv.slice(2);
const main = mainArg || new URL('../dist/src/main.js', import.meta.url).pathname;
const port = 4900 + Math.floor(Math.random() * 90);
const child = spawn(process.execPath, [main], { env: { PATH: process.env.PATH, PORT: String(port), DATA_DIR: mkdtempSync(join(tmpdir(), 'junk-')), LOG_LEVEL: 'warn', USER_COUNT_INTERVAL_MS: '0' }, stdio: ['ignore', 'ignore', 'inherit'] });
const url = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100; i++) { try { await fetch(`${url}/healthz`); break; } catch { await new Promise((r) => setTimeout(r, 100)); } }
const rss = () => { try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024; } catch { return NaN; } };
const idle = rss();
let peak = idle, worstHealth = 0, sent = 0, codes = {}, failed = 0;
const sampler = setInterval(async () => { peak = Math.max(peak, rss()); const t = Date.now(); try { await fetch(`${url}/healthz`); worstHealth = Math.max(worstHealth, Date.now() - t); } catch { failed++; } }, 250);
const pad = randomBytes(30000).toString('hex'); // 60 KB
const started = Date.now();
async function worker() {
  while (sent < Number(N)) {
    const n = sent++;
    const email = kind === 'huge' ? `${n}${pad}` : `${n}${'x'.repeat(230)}@example.test`;
    try {
      const r = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'mutation ($e: String!) { accountsLogin(email: $e, password: "some password") { id } }', variables: { e: email } }) });
      const body = await r.json();
      const code = body.errors?.[0]?.extensions?.code ?? r.status; codes[code] = (codes[code] ?? 0) + 1;
    } catch (e) { failed++; if (failed > 50) { console.log('server gone?', e.message); break; } }
  }
}
await Promise.all(Array.from({ length: 16 }, worker));
clearInterval(sampler);
peak = Math.max(peak, rss());
console.log(JSON.stringify({ kind, requests: Number(N), seconds: (Date.now() - started) / 1000, idleRssMB: Math.round(idle), peakRssMB: Math.round(peak), endRssMB: Math.round(rss()), worstHealthzMs: worstHealth, codes, failed }));
child.kill('SIGTERM');
